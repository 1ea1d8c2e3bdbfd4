// Poster and storyboard (sprite sheet + WebVTT map) for seek previews, from the smallest rendition
// (cheap to decode) once the ladder exists.
import type { Thumbnails } from '@vought/media';
import { runFfmpeg } from './encode-runner.ts';

export const TILE_WIDTH = 160;
const COLUMNS = 10;
const MAX_TILES = 100;

function vttTime(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${String(ms % 1000).padStart(3, '0')}`;
}

export async function makeThumbnails(
  ffmpeg: string,
  options: { input: string; outDir: string; duration: number; width: number; height: number; signal?: AbortSignal | undefined },
): Promise<{ thumbnails: Thumbnails; files: string[]; vtt: string }> {
  const interval = Math.max(2, Math.ceil(options.duration / MAX_TILES));
  const count = Math.max(1, Math.ceil(options.duration / interval));
  const columns = Math.min(COLUMNS, count);
  const rows = Math.ceil(count / columns);
  const tileHeight = Math.max(2, Math.round((TILE_WIDTH * options.height) / options.width / 2) * 2);
  const posterAt = Math.min(options.duration * 0.1, Math.max(0, options.duration - 0.5));
  await runFfmpeg(
    ffmpeg,
    [
      '-hide_banner',
      '-nostdin',
      '-y',
      '-loglevel',
      'error',
      '-ss',
      posterAt.toFixed(3),
      '-i',
      options.input,
      '-frames:v',
      '1',
      '-q:v',
      '3',
      `${options.outDir}/thumbs/poster.jpg`,
    ],
    {
      durationSeconds: 0,
      signal: options.signal,
    },
  );
  await runFfmpeg(
    ffmpeg,
    [
      '-hide_banner',
      '-nostdin',
      '-y',
      '-loglevel',
      'error',
      '-i',
      options.input,
      '-vf',
      `fps=1/${interval},scale=${TILE_WIDTH}:${tileHeight},tile=${columns}x${rows}`,
      '-frames:v',
      '1',
      '-q:v',
      '4',
      `${options.outDir}/thumbs/storyboard.jpg`,
    ],
    { durationSeconds: 0, signal: options.signal },
  );
  const lines = ['WEBVTT', ''];
  for (let i = 0; i < count; i++) {
    const start = i * interval;
    const end = Math.min(options.duration, start + interval);
    const x = (i % columns) * TILE_WIDTH;
    const y = Math.floor(i / columns) * tileHeight;
    lines.push(`${vttTime(start)} --> ${vttTime(end)}`, `storyboard.jpg#xywh=${x},${y},${TILE_WIDTH},${tileHeight}`, '');
  }
  return {
    thumbnails: {
      poster: 'thumbs/poster.jpg',
      sprite: 'thumbs/storyboard.jpg',
      vtt: 'thumbs/storyboard.vtt',
      columns,
      rows,
      tileWidth: TILE_WIDTH,
      tileHeight,
      interval,
    },
    files: ['thumbs/poster.jpg', 'thumbs/storyboard.jpg', 'thumbs/storyboard.vtt'],
    vtt: lines.join('\n'),
  };
}
