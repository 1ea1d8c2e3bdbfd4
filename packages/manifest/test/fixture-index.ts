// A fixed media index for golden manifests: two video renditions and two audio languages whose
// fragments do not all line up (AAC frames of 1024 samples never land exactly on 2 s), one
// fragment larger than the rest (peak bandwidth), subtitles and thumbnails.
import type { AudioTrack, MediaIndex, VideoTrack } from '@vought/media';

/**
 * A fragment table: `count` fragments of `duration` ticks (the last one `lastScale` as long), sizes
 * from `bytes`, stored right after an init segment of `initSize` bytes.
 */
export function fragments(count: number, duration: number, bytes: (i: number) => number, initSize: number, lastScale = 0.6) {
  const f = {
    time: [] as number[],
    duration: [] as number[],
    offset: [] as number[],
    size: [] as number[],
    keyframe: [] as (0 | 1)[],
    iframeSize: [] as number[],
  };
  let offset = initSize;
  for (let i = 0; i < count; i++) {
    f.time.push(i * duration);
    f.duration.push(i === count - 1 ? Math.round(duration * lastScale) : duration);
    f.offset.push(offset);
    f.size.push(bytes(i));
    f.keyframe.push(1);
    f.iframeSize.push(Math.floor(bytes(i) / 5));
    offset += bytes(i);
  }
  return { fragments: f, fileSize: offset };
}

function video(id: string, height: number, rate: number): VideoTrack {
  const { fragments: f, fileSize } = fragments(7, 30720, (i) => Math.round((rate / 8) * 2 * (i === 3 ? 1.5 : 1)), 1000);
  return {
    id,
    type: 'video',
    file: `v/${height}p.mp4`,
    fileSize,
    codec: 'avc1.64001f',
    sampleEntry: 'avc1',
    language: 'und',
    timescale: 15360,
    duration: f.duration.reduce((a, b) => a + b, 0),
    init: { offset: 0, size: 1000 },
    bandwidth: { peak: Math.round(rate * 1.3), average: rate },
    fragments: f,
    width: Math.round((height * 16) / 9 / 2) * 2,
    height,
    frameRate: { num: 30, den: 1 },
    sar: { h: 1, v: 1 },
    rotation: 0,
  };
}

function audio(id: string, language: string): AudioTrack {
  const { fragments: f, fileSize } = fragments(7, 96256, () => 32_000, 700);
  return {
    id,
    type: 'audio',
    file: `a/${id}.mp4`,
    fileSize,
    codec: 'mp4a.40.2',
    sampleEntry: 'mp4a',
    language,
    timescale: 48000,
    duration: f.duration.reduce((a, b) => a + b, 0),
    init: { offset: 0, size: 700 },
    bandwidth: { peak: 130_000, average: 128_000 },
    fragments: f,
    channels: 2,
    sampleRate: 48000,
  };
}

export const fixtureIndex: MediaIndex = {
  version: 1,
  videoId: 'golden',
  duration: 13.2,
  tracks: [video('v720', 720, 3_000_000), video('v360', 360, 800_000), audio('a-eng', 'eng'), audio('a-fra', 'fra')],
  text: [{ id: 't-eng', type: 'text', file: 'text/t-eng.vtt', language: 'eng', format: 'webvtt' }],
  thumbnails: {
    poster: 'thumbs/poster.jpg',
    sprite: 'thumbs/storyboard.jpg',
    vtt: 'thumbs/storyboard.vtt',
    columns: 7,
    rows: 1,
    tileWidth: 160,
    tileHeight: 90,
    interval: 2,
  },
  createdAt: '2026-11-24T00:00:00.000Z',
};
