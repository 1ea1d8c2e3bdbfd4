// @vought/media: pure ISO-BMFF code. No fs, no network, no process.env, no clock (STYLE habit 1).
// Everything reads through a ByteSource, so the same code runs over a file, S3 ranges or a buffer.
export type { ByteSource } from './types/byte-source.ts';
export {
  MEDIA_INDEX_VERSION,
  type MediaIndex,
  type MediaTrack,
  type VideoTrack,
  type AudioTrack,
  type TextTrack,
  type Thumbnails,
  type Fragments,
  type Extent,
  type Bandwidth,
} from './types/media-index.ts';
export { MediaError, type MediaErrorCode } from './media-error.ts';
export { bufferSource } from './byte-sources.ts';
// Indexes one fragmented-MP4 file holding a single track: reads ftyp/moov, then walks every
// moof by its header (never reading an mdat), and returns the track's index.
export { indexTrack, type IndexTrackOptions } from './track-indexer.ts';
export { parseMediaIndex, serializeMediaIndex } from './media-index-codec.ts';
