// @vought/media: pure ISO-BMFF code. No fs, no network, no process.env, no clock (STYLE habit 1).
// Everything reads through a ByteSource, so the same code runs over a file, S3 ranges or a buffer.

// Common Encryption (ISO/IEC 23001-7) just in time: the protection boxes, read and written
// together, and pure rewriting of init and media segments (cenc, cbcs) and HLS AES-128.
export { parseFrmaBox, writeFrma } from './boxes/frma.ts';
export { type Pssh, parsePsshBox, writePssh } from './boxes/pssh.ts';
export { parseSaioBox, type Saio, writeSaio } from './boxes/saio.ts';
export { parseSaizBox, type Saiz, writeSaiz } from './boxes/saiz.ts';
export { parseSchiBox, type Schi, writeSchi } from './boxes/schi.ts';
export { CENC_SCHEME_VERSION, parseSchmBox, type Schm, writeSchm } from './boxes/schm.ts';
export { parseSencBox, type SampleEncryption, type Senc, type Subsample, writeSenc } from './boxes/senc.ts';
export { parseSidxBox, type Sidx, type SidxReference, sidxSize, writeSidx } from './boxes/sidx.ts';
export { parseSinfBox, type Sinf, writeSinf } from './boxes/sinf.ts';
export { parseTencBox, type Tenc, writeTenc } from './boxes/tenc.ts';
export { bufferSource } from './byte-sources.ts';
export { decryptAes128Segment, encryptAes128Segment } from './cenc/aes.ts';
export { encryptInit, type InitEncryption } from './cenc/init-encryptor.ts';
export { type SegmentTarget, segmentTargetOf } from './cenc/init-tracks.ts';
export { addToIv, fragmentIv, hlsSequenceIv } from './cenc/iv.ts';
export { decryptSegment, encryptSegment, type SegmentKey } from './cenc/segment-encryptor.ts';
export type { Scheme } from './cenc/subsamples.ts';
export {
  accept,
  audioFrameAt,
  type Container,
  DEMUXER_OF,
  type Demuxer,
  id3TagEnd,
  looksLikeText,
  REJECTED,
  SNIFF_BYTES,
  type SniffVerdict,
  sniffContainer,
} from './container-sniffer.ts';
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
