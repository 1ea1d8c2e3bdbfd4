// @vought/media: pure ISO-BMFF code. No fs, no network, no process.env, no clock (STYLE habit 1).
// Everything reads through a ByteSource, so the same code runs over a file, S3 ranges or a buffer.

export { parseSidxBox, type Sidx, type SidxReference, sidxSize, writeSidx } from './boxes/sidx.ts';
export { bufferSource } from './byte-sources.ts';
export { MediaError, type MediaErrorCode } from './media-error.ts';
export { parseMediaIndex, serializeMediaIndex } from './media-index-codec.ts';
// Indexes one fragmented-MP4 file holding a single track: reads ftyp/moov, then walks every
// moof by its header (never reading an mdat), and returns the track's index.
export { type IndexTrackOptions, indexTrack } from './track-indexer.ts';
export type { ByteSource } from './types/byte-source.ts';
export {
  type AudioTrack,
  type Bandwidth,
  type Extent,
  type Fragments,
  MEDIA_INDEX_VERSION,
  type MediaIndex,
  type MediaTrack,
  type TextTrack,
  type Thumbnails,
  type VideoTrack,
} from './types/media-index.ts';
