// What container a source IS, from its first bytes, and so which one ffmpeg demuxer may read it.
// The encoder does not trust the origin's check at upload (it runs it again on what it reads): a source can reach the store another
// way, and the origin's gate only sees a few kilobytes. ffmpeg, left to probe, picks the demuxer
// that scores best on the content, and several demuxers read instructions rather than media: HLS
// and DASH playlists, ffconcat lists, SDP and image sequences open other files and URLs. Probing
// also skips an ID3v2 tag first (libavformat/format.c, av_probe_input_format3), so `ID3` + a
// playlist was read as a playlist. So: an allow-list of binary containers, each mapped to the one
// demuxer ffmpeg and ffprobe are told to use (`-f`); anything else, text above all, is refused.
//
// Pure (bytes in, verdict out): the origin's upload gate and the encoder's own check both use it,
// so the two can never disagree.

/** The demuxers the encoder may run, by ffmpeg name (`ffmpeg -demuxers`). None opens other files. */
export type Demuxer = 'mov' | 'matroska' | 'mpegts' | 'avi' | 'flv' | 'mp3' | 'aac' | 'wav' | 'flac' | 'ogg' | 'asf' | 'mpeg';

export type Container =
  | 'iso-bmff'
  | 'matroska'
  | 'mpeg-ts'
  | 'avi'
  | 'flv'
  | 'mp3'
  | 'mpeg-audio'
  | 'adts'
  | 'wav'
  | 'flac'
  | 'ogg'
  | 'asf'
  | 'mpeg-ps';

export const DEMUXER_OF: Readonly<Record<Container, Demuxer>> = {
  'iso-bmff': 'mov', // mov,mp4,m4a,3gp: external data references stay off (see ffmpeg-input.ts)
  matroska: 'matroska', // matroska,webm
  'mpeg-ts': 'mpegts', // also M2TS (192-byte packets)
  avi: 'avi',
  flv: 'flv',
  mp3: 'mp3', // ID3v2 tag, then MPEG audio frames
  'mpeg-audio': 'mp3',
  adts: 'aac', // raw AAC in ADTS frames (with or without an ID3v2 tag before them)
  wav: 'wav',
  flac: 'flac',
  ogg: 'ogg',
  asf: 'asf', // WMV/WMA: a binary container with no external references
  'mpeg-ps': 'mpeg', // MPEG program stream (VOB, .mpg)
};

export type SniffVerdict = { container: Container; demuxer: Demuxer } | { rejected: string };

/** Bytes read from the start of a source to decide (an ID3 tag past them is followed in the file). */
export const SNIFF_BYTES = 64 * 1024;

export const accept = (container: Container): SniffVerdict => ({ container, demuxer: DEMUXER_OF[container] });

const ascii = (bytes: Uint8Array, at: number, text: string) => {
  if (bytes.length < at + text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false;
  return true;
};

const byteAt = (bytes: Uint8Array, at: number) => bytes[at] ?? 0;

// Text formats ffmpeg reads as instructions, matched case-insensitively after a UTF-8 byte order
// mark and blanks: playlists (#EXTM3U), DASH/SMIL/XML (<), ffconcat lists and bare `file '...'`
// lines, SDP (v=0), ffmetadata (;FFMETADATA), JSON, INI-like subtitle scripts, WebVTT, and URLs.
const TEXT_STARTS = ['#', '<', 'ffconcat', 'file ', 'file\t', 'v=', ';ffmetadata', '{', '[', 'webvtt', 'http:', 'https:', 'file:'];

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Valid UTF-8, but for a character cut at the end of the window. */
function isUtf8(window: Uint8Array): boolean {
  for (let cut = 0; cut < 4 && cut < window.length; cut++) {
    try {
      utf8.decode(window.subarray(0, window.length - cut));
      return true;
    } catch {
      if (window.length < 1024) return false; // the whole file: nothing was cut
    }
  }
  return false;
}

/** Text, not media: a known text start, a UTF-16/32 byte order mark, or UTF-8 with no control byte in the first KiB. */
export function looksLikeText(head: Uint8Array): boolean {
  if ((byteAt(head, 0) === 0xff && byteAt(head, 1) === 0xfe) || (byteAt(head, 0) === 0xfe && byteAt(head, 1) === 0xff)) return true;
  if (byteAt(head, 0) === 0 && byteAt(head, 1) === 0 && byteAt(head, 2) === 0xfe && byteAt(head, 3) === 0xff) return true;
  let at = ascii(head, 0, '\u00ef\u00bb\u00bf') ? 3 : 0; // UTF-8 BOM, as bytes
  while (at < head.length && [0x09, 0x0a, 0x0d, 0x20].includes(byteAt(head, at))) at++;
  const start = Buffer.from(head.subarray(at, at + 16))
    .toString('latin1')
    .toLowerCase();
  if (TEXT_STARTS.some((text) => start.startsWith(text))) return true;
  // Every container on the allow-list has, within its first KiB, a byte below 0x09 (a zero in a
  // size or a version field) or bytes that are not UTF-8 (0xFF of an audio frame sync); text has neither.
  const window = head.subarray(0, 1024);
  return !window.some((b) => b < 0x09 || (b > 0x0d && b < 0x20) || b === 0x7f) && isUtf8(window);
}

/**
 * End offset of the ID3v2 tag whose 10-byte header is at `at` (ID3v2.4 §3.1: "ID3", version,
 * flags, size as a 28-bit syncsafe integer; +10 when the footer flag is set), or null.
 */
export function id3TagEnd(bytes: Uint8Array, at: number): number | null {
  if (!ascii(bytes, at, 'ID3') || bytes.length < at + 10) return null;
  const major = byteAt(bytes, at + 3);
  if (major < 2 || major > 4 || byteAt(bytes, at + 4) === 0xff) return null;
  let size = 0;
  for (let i = 6; i < 10; i++) {
    const b = byteAt(bytes, at + i);
    if (b & 0x80) return null; // not syncsafe: not an ID3v2 header
    size = size * 128 + b;
  }
  const footer = byteAt(bytes, at + 5) & 0x10 ? 10 : 0;
  return at + 10 + size + footer;
}

/** An MPEG audio frame header (ISO/IEC 11172-3 §2.4.1.3) or an ADTS header (ISO/IEC 13818-7 §6.2) at `at`. */
export function audioFrameAt(bytes: Uint8Array, at: number): 'mpeg-audio' | 'adts' | null {
  if (bytes.length < at + 4 || byteAt(bytes, at) !== 0xff) return null;
  const b1 = byteAt(bytes, at + 1);
  const b2 = byteAt(bytes, at + 2);
  if ((b1 & 0xf6) === 0xf0) return ((b2 >> 2) & 0x0f) < 13 ? 'adts' : null; // 12-bit sync, layer 0, a known sampling rate
  if ((b1 & 0xe0) !== 0xe0) return null;
  const version = (b1 >> 3) & 0x03;
  const layer = (b1 >> 1) & 0x03;
  const bitrate = b2 >> 4;
  const sampleRate = (b2 >> 2) & 0x03;
  return version !== 1 && layer !== 0 && bitrate !== 15 && sampleRate !== 3 ? 'mpeg-audio' : null;
}

const ISO_BOX_TYPES = ['ftyp', 'moov', 'mdat', 'free', 'wide', 'skip', 'styp', 'pnot'];

/** ISO BMFF (MP4, MOV, 3GP): a known top-level box first; an ftyp box is small (brands only). */
function isIsoBmff(head: Uint8Array): boolean {
  const type = ISO_BOX_TYPES.find((t) => ascii(head, 4, t));
  if (!type) return false;
  const size = Buffer.from(head.subarray(0, 4)).readUInt32BE(0);
  if (type === 'ftyp' || type === 'styp') return size >= 16 && size <= 4096;
  return size === 0 || size === 1 || size >= 8;
}

/** MPEG-TS: sync byte 0x47 every 188 bytes (ISO/IEC 13818-1 §2.4.3.2); M2TS adds a 4-byte prefix. */
function isMpegTs(head: Uint8Array): boolean {
  return ([[0, 188] as const, [4, 192] as const] as const).some(
    ([start, stride]) =>
      head.length >= start + 2 * stride + 1 && head[start] === 0x47 && head[start + stride] === 0x47 && head[start + 2 * stride] === 0x47,
  );
}

function binaryContainer(head: Uint8Array): Container | null {
  if (isIsoBmff(head)) return 'iso-bmff';
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return 'matroska';
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'AVI ')) return 'avi';
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WAVE')) return 'wav';
  if (ascii(head, 0, 'FLV\x01')) return 'flv';
  if (ascii(head, 0, 'OggS')) return 'ogg';
  if (ascii(head, 0, 'fLaC')) return 'flac';
  if (head[0] === 0x30 && head[1] === 0x26 && head[2] === 0xb2 && head[3] === 0x75) return 'asf';
  if (head[0] === 0x00 && head[1] === 0x00 && head[2] === 0x01 && head[3] === 0xba) return 'mpeg-ps';
  if (isMpegTs(head)) return 'mpeg-ts';
  return audioFrameAt(head, 0);
}

const NOT_MEDIA = 'the source is not a media file vought accepts';
export const REJECTED = {
  short: `${NOT_MEDIA}: it is too short to hold media`,
  text: `${NOT_MEDIA}: it is text (a playlist, a list of files or a description), not media`,
  id3: `${NOT_MEDIA}: an ID3 tag that is not followed by MPEG audio or AAC frames`,
  id3PastHead: `${NOT_MEDIA}: its ID3 tag is larger than the bytes checked`,
  unknown: `${NOT_MEDIA}: its first bytes match no allowed container (MP4/MOV, Matroska/WebM, MPEG-TS/PS, AVI, FLV, ASF, MP3, AAC, WAV, FLAC, Ogg)`,
} as const;

/** What follows one or more ID3v2 tags decides: MPEG audio or ADTS, else refused. */
function afterId3(head: Uint8Array): SniffVerdict {
  let end = 0;
  for (let tags = 0; tags < 8; tags++) {
    const next = id3TagEnd(head, end);
    if (next === null) break;
    end = next;
  }
  if (end === 0) return { rejected: REJECTED.id3 };
  if (head.length < end + 4) return { rejected: REJECTED.id3PastHead };
  const frame = audioFrameAt(head, end);
  return frame ? accept(frame === 'adts' ? 'adts' : 'mp3') : { rejected: REJECTED.id3 };
}

/** The verdict on a source's first bytes (pure). */
export function sniffContainer(head: Uint8Array): SniffVerdict {
  if (head.length < 12) return { rejected: REJECTED.short };
  if (looksLikeText(head)) return { rejected: REJECTED.text };
  if (ascii(head, 0, 'ID3')) return afterId3(head);
  const container = binaryContainer(head);
  return container ? accept(container) : { rejected: REJECTED.unknown };
}
