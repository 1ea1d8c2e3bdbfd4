// Checks what an upload IS from its first bytes, never from its name or declared type: a 415 at
// the door for anything but a binary media container on a fixed allow-list. Text is refused above
// all: ffmpeg reads playlists, concat lists and SDP as instructions to open other files, and its
// probing skips an ID3v2 tag first, so `ID3` + an HLS playlist was once read as a playlist.
//
// This gate is not the defence: the encoder sniffs the stored source again and reads it with one
// pinned demuxer (encoder/src/container-sniffer.ts, ffmpeg-input.ts). The rules are the same in
// both files on purpose. The origin cannot import the encoder's copy: @vought/encoder is only a
// devDependency here, absent from a production install; their shared home would be @vought/media.
// source-sniffer.test.ts runs both copies on the same inputs, so they cannot drift apart unseen.

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

export interface SniffResult {
  container: Container;
}

/**
 * Bytes the caller reads before deciding: an MPEG-TS check looks at three packets, and an ID3v2
 * tag (cover art) must end inside them for the frame after it to be checked. 1 MiB holds the cover
 * art of nearly every MP3 and M4A; a larger tag is refused rather than let through unchecked.
 */
export const SNIFF_BYTES = 1024 * 1024;

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

/** After one or more ID3v2 tags: MPEG audio or ADTS frames, else not media (whatever the tag hides). */
function afterId3(head: Uint8Array): SniffResult | null {
  let end = 0;
  for (let tags = 0; tags < 8; tags++) {
    const next = id3TagEnd(head, end);
    if (next === null) break;
    end = next;
  }
  const frame = end > 0 ? audioFrameAt(head, end) : null;
  return frame ? { container: frame === 'adts' ? 'adts' : 'mp3' } : null;
}

/** The container of an upload from its first bytes (up to SNIFF_BYTES), or null: refuse it. */
export function sniffContainer(head: Uint8Array): SniffResult | null {
  if (head.length < 12 || looksLikeText(head)) return null;
  if (ascii(head, 0, 'ID3')) return afterId3(head);
  const container = binaryContainer(head);
  return container ? { container } : null;
}
