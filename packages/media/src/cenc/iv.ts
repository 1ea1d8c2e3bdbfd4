// Initialization vectors.
// 'cenc' (ISO/IEC 23001-7 §9.3): a key must never see the same counter block twice. Each sample
// gets its own 8-byte IV (the high half of the counter block, §9.2), so its keystream blocks are
// IV‖0, IV‖1, ...: samples with different IVs never share a block. Within a segment sample i uses
// base + i; the base is derived from a seed, the track and the fragment's decode time, so every
// origin computes the same bytes (stateless, cacheable) and two segments' IV ranges overlap only
// by a 64-bit collision.
// 'cbcs' (§10.4): a constant 16-byte IV from tenc, reset at each subsample.
// HLS AES-128 (RFC 8216 §5.2): without an IV attribute, the IV is the media sequence number.
import { createHash } from 'node:crypto';
import { MediaError } from '../media-error.ts';

/** `iv` (8 bytes, big-endian) plus `n`, modulo 2^64. */
export function addToIv(iv: Uint8Array, n: number): Uint8Array {
  if (iv.length !== 8) throw new MediaError('media.malformed', `per-sample IV must be 8 bytes, got ${iv.length}`);
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  const base = new DataView(iv.buffer, iv.byteOffset, 8).getBigUint64(0);
  view.setBigUint64(0, BigInt.asUintN(64, base + BigInt(n)));
  return out;
}

/** The first sample's 8-byte IV of the fragment of `track` starting at `decodeTime` (ticks), under `seed`. */
export function fragmentIv(seed: Uint8Array, track: string, decodeTime: number): Uint8Array {
  const hash = createHash('sha256').update(seed).update(`\0vought/cenc-iv/${track}/${decodeTime}`).digest();
  return new Uint8Array(hash.subarray(0, 8));
}

/** RFC 8216 §5.2: the 16-byte big-endian media sequence number, when the playlist gives no IV. */
export function hlsSequenceIv(mediaSequence: number): Uint8Array {
  if (!Number.isSafeInteger(mediaSequence) || mediaSequence < 0)
    throw new MediaError('media.malformed', `media sequence ${mediaSequence} is not a non-negative integer`);
  const out = new Uint8Array(16);
  new DataView(out.buffer).setBigUint64(8, BigInt(mediaSequence));
  return out;
}
