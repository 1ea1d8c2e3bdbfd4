// The media index: the one neutral model between parsing and building (STYLE habit 2, after
// nginx-vod-module's media_set). The encoder writes it as `videos/{id}/index.json`; the origin's
// HLS and DASH builders read only this, never boxes. It can always be rebuilt from the files.
//
// Time is integer ticks in the track's timescale (STYLE habit 4); seconds appear only in manifests.
// Fragments are stored column-wise (one array per field) so that a 2-hour index parses fast and
// stays small: 3600 fragments per track are five arrays of 3600 numbers, not 3600 objects.

export const MEDIA_INDEX_VERSION = 1;

/** A byte range in a file: offset and size, both in bytes. */
export interface Extent {
  offset: number;
  size: number;
}

export interface Fragments {
  /** Decode time of the first sample (`tfdt`), ticks. */
  time: number[];
  /** Sum of sample durations, ticks. */
  duration: number[];
  /** Byte offset of the fragment's `moof` (or its `styp`, when present) in the file. */
  offset: number[];
  /** Bytes from `offset` through the end of the fragment's `mdat`. */
  size: number[];
  /** 1 when the first sample is a sync sample (keyframe), else 0. */
  keyframe: (0 | 1)[];
  /**
   * Video only: bytes from `offset` through the end of the fragment's first sample's data (moof,
   * mdat header, first sample). An I-frame playlist's EXT-X-BYTERANGE covers exactly this.
   */
  iframeSize?: number[];
}

export interface Bandwidth {
  /** bits/s: the largest of any one fragment (RFC 8216bis §4.4.6.2 asks for the peak segment bit rate; origins recompute per served segment duration). */
  peak: number;
  /** bits/s: total bytes × 8 / total duration. */
  average: number;
}

interface TrackBase {
  /** Stable id within the video, used in URLs: `v1080`, `a-eng`, ... (URL-safe: [A-Za-z0-9_-]). */
  id: string;
  /** Storage key relative to `videos/{id}/`, e.g. `v/1080p.mp4`. */
  file: string;
  /** Size of the whole file in bytes. */
  fileSize: number;
  /** RFC 6381 codec string: `avc1.64001f`, `hvc1.1.6.L93.B0`, `mp4a.40.2`, `opus`, ... */
  codec: string;
  /** Sample entry fourcc: `avc1`, `hvc1`, `mp4a`, `Opus`, ... */
  sampleEntry: string;
  /** ISO 639-2/T from `mdhd` (`und` when unknown); BCP 47 when the encoder knew better. */
  language: string;
  timescale: number;
  /** Track duration in ticks: sum of fragment durations. */
  duration: number;
  /** ftyp + moov. */
  init: Extent;
  /** `sidx` box, when the file has one (DASH on-demand profile). */
  sidx?: Extent;
  bandwidth: Bandwidth;
  fragments: Fragments;
}

export interface VideoTrack extends TrackBase {
  type: 'video';
  width: number;
  height: number;
  /** Frames per second as a rational: 30000/1001. */
  frameRate: { num: number; den: number };
  /** Sample aspect ratio. */
  sar: { h: number; v: number };
  /** Rotation from the `tkhd` matrix, degrees clockwise (0, 90, 180, 270). */
  rotation: number;
}

export interface AudioTrack extends TrackBase {
  type: 'audio';
  channels: number;
  sampleRate: number;
  /** Human label for players' menus. */
  label?: string;
}

export type MediaTrack = VideoTrack | AudioTrack;

export interface TextTrack {
  id: string;
  type: 'text';
  /** Storage key relative to `videos/{id}/`, e.g. `text/eng.vtt`. */
  file: string;
  language: string;
  label?: string;
  format: 'webvtt';
}

export interface Thumbnails {
  /** A still image, key relative to `videos/{id}/`. */
  poster: string;
  /** Sprite sheet image with `columns × rows` tiles of `tileWidth × tileHeight`. */
  sprite: string;
  /** WebVTT map from time ranges to `sprite#xywh=...`. */
  vtt: string;
  columns: number;
  rows: number;
  tileWidth: number;
  tileHeight: number;
  /** Seconds each tile covers. */
  interval: number;
}

export interface MediaIndex {
  version: typeof MEDIA_INDEX_VERSION;
  videoId: string;
  /** Presentation duration in seconds (the longest track). */
  duration: number;
  tracks: MediaTrack[];
  text: TextTrack[];
  thumbnails?: Thumbnails;
  /** When the index was made (ISO 8601), passed in by the caller (the core has no clock). */
  createdAt: string;
}
