// Checks what an upload IS from its first bytes, never from its name or declared type. This is a
// cheap gate at the door (random bytes, documents, executables are refused with a 415 at once);
// the encoder's ffprobe is the final judge and fails the video with a reason if it cannot decode.

export interface SniffResult {
  container: string;
}

const ascii = (bytes: Uint8Array, at: number, text: string) => {
  if (bytes.length < at + text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false;
  return true;
};

const isoBoxTypes = ['ftyp', 'moov', 'mdat', 'free', 'wide', 'skip', 'styp', 'pnot'];

/** Bytes needed to decide: an MPEG-TS check looks at three packets. */
export const SNIFF_BYTES = 4096;

export function sniffContainer(head: Uint8Array): SniffResult | null {
  if (head.length < 12) return null;
  if (isoBoxTypes.some((type) => ascii(head, 4, type))) return { container: 'iso-bmff' };
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return { container: 'matroska' };
  if (ascii(head, 0, 'RIFF') && (ascii(head, 8, 'AVI ') || ascii(head, 8, 'WAVE')))
    return { container: ascii(head, 8, 'AVI ') ? 'avi' : 'wav' };
  if (ascii(head, 0, 'FLV')) return { container: 'flv' };
  if (ascii(head, 0, 'OggS')) return { container: 'ogg' };
  if (ascii(head, 0, 'fLaC')) return { container: 'flac' };
  if (head[0] === 0x30 && head[1] === 0x26 && head[2] === 0xb2 && head[3] === 0x75) return { container: 'asf' };
  if (head[0] === 0x00 && head[1] === 0x00 && head[2] === 0x01 && head[3] === 0xba) return { container: 'mpeg-ps' };
  // MPEG-TS: sync byte 0x47 every 188 bytes (ISO/IEC 13818-1 §2.4.3.2); M2TS adds a 4-byte prefix.
  for (const [start, stride] of [
    [0, 188],
    [4, 192],
  ] as const) {
    if (
      head.length >= start + 2 * stride + 1 &&
      head[start] === 0x47 &&
      head[start + stride] === 0x47 &&
      head[start + 2 * stride] === 0x47
    ) {
      return { container: 'mpeg-ts' };
    }
  }
  if (ascii(head, 0, 'ID3')) return { container: 'mp3' };
  // MPEG audio frame sync: 11 set bits; ADTS (AAC) is the layer-0 case.
  if (head[0] === 0xff && ((head[1] ?? 0) & 0xe0) === 0xe0) return { container: ((head[1] ?? 0) & 0x06) === 0 ? 'adts' : 'mpeg-audio' };
  if (ascii(head, 0, '#EXTM3U')) return null; // a playlist is not media
  return null;
}
