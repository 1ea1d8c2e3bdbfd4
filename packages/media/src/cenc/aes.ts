// The AES modes Common Encryption uses, over node:crypto (pure computation, no I/O):
// - 'cenc': AES-128-CTR (ISO/IEC 23001-7 §9.2/§9.3). An 8-byte IV is the high half of the 16-byte
//   counter block; the low half is the block counter, from 0 at the sample's first protected byte.
//   One keystream runs across all of a sample's protected ranges.
// - 'cbcs': AES-128-CBC without padding (§9.4/§10.4). The chain runs across the encrypted blocks
//   of one protected range; skipped blocks are not part of it.
// - HLS AES-128: whole-segment AES-128-CBC with PKCS#7 padding (RFC 8216 §4.3.2.4).
import { type Cipher, createCipheriv, createDecipheriv, type Decipher } from 'node:crypto';
import { MediaError } from '../media-error.ts';

export type Direction = 'encrypt' | 'decrypt';

function checkKey(key: Uint8Array): void {
  if (key.length !== 16) throw new MediaError('media.malformed', `AES-128 key must be 16 bytes, got ${key.length}`);
}

/** The 16-byte CTR counter block for a per-sample IV of 8 (padded with a zero block counter) or 16 bytes. */
export function counterBlock(iv: Uint8Array): Uint8Array {
  if (iv.length === 16) return iv;
  if (iv.length !== 8) throw new MediaError('media.malformed', `cenc IV must be 8 or 16 bytes, got ${iv.length}`);
  const block = new Uint8Array(16);
  block.set(iv);
  return block;
}

/** Transforms bytes in place with a running cipher (the cipher keeps its state between calls). */
function transform(cipher: Cipher | Decipher, bytes: Uint8Array): void {
  if (bytes.length === 0) return;
  const out = cipher.update(bytes);
  if (out.length !== bytes.length) throw new Error(`cipher returned ${out.length} bytes for ${bytes.length}`);
  bytes.set(out);
}

/** A CTR keystream for one sample: call in the sample's order on each protected range (CTR is its own inverse). */
export function ctrStream(key: Uint8Array, iv: Uint8Array): (bytes: Uint8Array) => void {
  checkKey(key);
  const cipher = createCipheriv('aes-128-ctr', key, counterBlock(iv));
  return (bytes) => transform(cipher, bytes);
}

/** A CBC chain from `iv`: call on whole blocks, in order; the chain continues across calls. */
export function cbcChain(key: Uint8Array, iv: Uint8Array, direction: Direction): (blocks: Uint8Array) => void {
  checkKey(key);
  if (iv.length !== 16) throw new MediaError('media.malformed', `CBC IV must be 16 bytes, got ${iv.length}`);
  const cipher = direction === 'encrypt' ? createCipheriv('aes-128-cbc', key, iv) : createDecipheriv('aes-128-cbc', key, iv);
  cipher.setAutoPadding(false);
  return (blocks) => {
    if (blocks.length % 16 !== 0) throw new Error(`CBC over ${blocks.length} bytes, not whole blocks`);
    transform(cipher, blocks);
  };
}

/** RFC 8216 §4.3.2.4 METHOD=AES-128: the whole segment, AES-128-CBC with PKCS#7 padding. */
export function encryptAes128Segment(bytes: Uint8Array, key: Uint8Array, iv: Uint8Array): Uint8Array {
  checkKey(key);
  const cipher = createCipheriv('aes-128-cbc', key, iv);
  return new Uint8Array(Buffer.concat([cipher.update(bytes), cipher.final()]));
}

export function decryptAes128Segment(bytes: Uint8Array, key: Uint8Array, iv: Uint8Array): Uint8Array {
  checkKey(key);
  const decipher = createDecipheriv('aes-128-cbc', key, iv);
  return new Uint8Array(Buffer.concat([decipher.update(bytes), decipher.final()]));
}
