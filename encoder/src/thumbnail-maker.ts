// Poster and storyboard (sprite sheet + WebVTT map) for seek previews, from the smallest rendition
// (cheap to decode) once the ladder exists.
import fs from 'node:fs/promises';
import type { Thumbnails } from '@vought/media';
import { runFfmpeg } from './encode-runner.ts';
import { inputArgs } from './ffmpeg-input.ts';

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

const BASE = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error'];

export interface ThumbnailOptions {
  input: string;
  outDir: string;
  duration: number;
  width: number;
  height: number;
  signal?: AbortSignal | undefined;
}

export interface MadeThumbnails {
  thumbnails: Thumbnails;
  files: string[];
  vtt: string;
}

/** The storyboard's grid: one tile every `interval` seconds, at most MAX_TILES. */
export function storyboardGrid(duration: number, width: number, height: number) {
  const interval = Math.max(2, Math.ceil(duration / MAX_TILES));
  const count = Math.max(1, Math.ceil(duration / interval));
  const columns = Math.min(COLUMNS, count);
  const rows = Math.ceil(count / columns);
  const tileHeight = Math.max(2, Math.round((TILE_WIDTH * height) / width / 2) * 2);
  return { interval, count, columns, rows, tileHeight };
}

// Input is our own fragmented MP4 rendition, and is still read only as such (ffmpeg-input.ts).
export function posterArgs(input: string, outDir: string, duration: number): string[] {
  const posterAt = Math.min(duration * 0.1, Math.max(0, duration - 0.5));
  return [...BASE, '-ss', posterAt.toFixed(3), ...inputArgs('mov', input), '-frames:v', '1', '-q:v', '3', `${outDir}/thumbs/poster.jpg`];
}

export function storyboardArgs(input: string, outDir: string, grid: ReturnType<typeof storyboardGrid>): string[] {
  // fps's eof_action=pass (ffmpeg-filters(1), "fps"): a video shorter than one interval (a single
  // frame) still yields its frame; with the default `round` it yields none and no file is written.
  const filter = `fps=fps=1/${grid.interval}:eof_action=pass,scale=${TILE_WIDTH}:${grid.tileHeight},tile=${grid.columns}x${grid.rows}`;
  return [...BASE, ...inputArgs('mov', input), '-vf', filter, '-frames:v', '1', '-q:v', '4', `${outDir}/thumbs/storyboard.jpg`];
}

/** ffmpeg exits 0 when it had nothing to encode ("Output file is empty"): only a file counts. */
async function written(file: string): Promise<boolean> {
  const stats = await fs.stat(file).catch(() => null);
  return stats?.isFile() === true && stats.size > 0;
}

function storyboardVtt(duration: number, grid: ReturnType<typeof storyboardGrid>): string {
  const lines = ['WEBVTT', ''];
  for (let i = 0; i < grid.count; i++) {
    const start = i * grid.interval;
    const end = Math.min(duration, start + grid.interval);
    const x = (i % grid.columns) * TILE_WIDTH;
    const y = Math.floor(i / grid.columns) * grid.tileHeight;
    lines.push(`${vttTime(start)} --> ${vttTime(end)}`, `storyboard.jpg#xywh=${x},${y},${TILE_WIDTH},${grid.tileHeight}`, '');
  }
  return lines.join('\n');
}

/**
 * Poster and storyboard, or null when ffmpeg could not make both (the index's thumbnails are
 * optional, and a poster without its sprite has no place in it). ffmpeg failing here throws.
 */
export async function makeThumbnails(ffmpeg: string, options: ThumbnailOptions): Promise<MadeThumbnails | null> {
  const grid = storyboardGrid(options.duration, options.width, options.height);
  const run = { durationSeconds: 0, signal: options.signal };
  await runFfmpeg(ffmpeg, posterArgs(options.input, options.outDir, options.duration), run);
  if (!(await written(`${options.outDir}/thumbs/poster.jpg`))) return null;
  await runFfmpeg(ffmpeg, storyboardArgs(options.input, options.outDir, grid), run);
  if (!(await written(`${options.outDir}/thumbs/storyboard.jpg`))) return null;
  return {
    thumbnails: {
      poster: 'thumbs/poster.jpg',
      sprite: 'thumbs/storyboard.jpg',
      vtt: 'thumbs/storyboard.vtt',
      columns: grid.columns,
      rows: grid.rows,
      tileWidth: TILE_WIDTH,
      tileHeight: grid.tileHeight,
      interval: grid.interval,
    },
    files: ['thumbs/poster.jpg', 'thumbs/storyboard.jpg', 'thumbs/storyboard.vtt'],
    vtt: storyboardVtt(options.duration, grid),
  };
}
