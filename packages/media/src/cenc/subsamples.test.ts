import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MediaError } from '../media-error.ts';
import { cryptSample, type SampleKey } from './sample-cipher.ts';
import { videoSubsamples } from './subsamples.ts';

/** A length-prefixed sample from NAL units (header byte(s) + filler). */
function sample(units: Array<{ header: number[]; size: number }>, lengthSize = 4): Uint8Array {
  const parts: number[] = [];
  let fill = 1;
  for (const u of units) {
    const len = u.header.length + u.size;
    for (let i = lengthSize - 1; i >= 0; i--) parts.push((len >> (8 * i)) & 0xff);
    parts.push(...u.header);
    for (let i = 0; i < u.size; i++) parts.push(fill++ & 0xff);
  }
  return Uint8Array.from(parts);
}

const AUD = { header: [0x09], size: 1 };
const SEI = { header: [0x06], size: 700 };
const IDR = (size: number) => ({ header: [0x65], size }); // nal_unit_type 5
const P = (size: number) => ({ header: [0x41], size }); // nal_unit_type 1

describe('videoSubsamples (ISO/IEC 23001-7 §9.5)', () => {
  it('cenc: AUD and SEI clear; each slice keeps length + header + (payload mod 16) clear, protects whole blocks', () => {
    const s = sample([AUD, SEI, IDR(99), P(32)]);
    expect(videoSubsamples(s, 4, 'avc', 'cenc')).toEqual([
      { clear: 4 + 2 + (4 + 701) + (4 + 1 + 3), protected: 96 },
      { clear: 4 + 1, protected: 32 },
    ]);
  });

  it('cbcs: the slice is protected to its end (the pattern leaves the partial block clear)', () => {
    const s = sample([AUD, SEI, IDR(99), P(10)]);
    expect(videoSubsamples(s, 4, 'avc', 'cbcs')).toEqual([
      { clear: 4 + 2 + (4 + 701) + (4 + 1), protected: 99 },
      { clear: 4 + 1 + 10, protected: 0 }, // shorter than a block: all clear
    ]);
  });

  it('HEVC: two header bytes stay clear; parameter sets (32..34) and SEI (39) are not slices', () => {
    const vps = { header: [32 << 1, 1], size: 20 };
    const sei = { header: [39 << 1, 1], size: 30 };
    const idr = { header: [19 << 1, 1], size: 64 }; // IDR_W_RADL
    const s = sample([vps, sei, idr]);
    expect(videoSubsamples(s, 4, 'hevc', 'cenc')).toEqual([{ clear: 4 + 22 + 4 + 32 + 4 + 2, protected: 64 }]);
  });

  it('splits clear runs longer than 16 bits (BytesOfClearData, §7.2)', () => {
    const s = sample([{ header: [0x06], size: 70_000 }, IDR(32)]);
    const subs = videoSubsamples(s, 4, 'avc', 'cenc');
    expect(subs).toEqual([
      { clear: 65535, protected: 0 },
      { clear: 4 + 70_001 + 4 + 1 - 65535, protected: 32 },
    ]);
    expect(subs.reduce((n, x) => n + x.clear + x.protected, 0)).toBe(s.length);
  });

  it('a sample with no slice is one clear entry; 2-byte length prefixes work', () => {
    const s = sample([AUD, SEI], 2);
    expect(videoSubsamples(s, 2, 'avc', 'cbcs')).toEqual([{ clear: s.length, protected: 0 }]);
  });

  it('refuses a NAL length that runs past the sample', () => {
    const s = sample([IDR(40)]);
    expect(() => videoSubsamples(s.subarray(0, 30), 4, 'avc', 'cenc')).toThrow(MediaError);
    expect(() => videoSubsamples(s, 3, 'avc', 'cenc')).toThrow(/length size/);
  });
});

const key = Uint8Array.from(Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex'));
const ecb = (block: Uint8Array) => new Uint8Array(createCipheriv('aes-128-ecb', key, null).setAutoPadding(false).update(block));
const xor = (a: Uint8Array, b: Uint8Array) => a.map((x, i) => x ^ (b[i] ?? 0));

describe('cryptSample', () => {
  const iv = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
  const cbcs: SampleKey = { scheme: 'cbcs', key, iv, pattern: { crypt: 1, skip: 9 } };

  it('cbcs 1:9: blocks 0, 10, 20 of the protected range are one CBC chain from the IV; the rest and the tail stay clear', () => {
    const clear = Uint8Array.from({ length: 7 + 25 * 16 + 5 }, (_, i) => (i * 7) & 0xff);
    const data = clear.slice();
    cryptSample(data, [{ clear: 7, protected: 25 * 16 + 5 }], cbcs, 'encrypt');
    const block = (b: Uint8Array, n: number) => b.subarray(7 + n * 16, 7 + (n + 1) * 16);
    expect(block(data, 0)).toEqual(ecb(xor(block(clear, 0), iv)));
    expect(block(data, 10)).toEqual(ecb(xor(block(clear, 10), block(data, 0))));
    expect(block(data, 20)).toEqual(ecb(xor(block(clear, 20), block(data, 10))));
    for (const n of [1, 5, 9, 11, 19, 21, 24]) expect(block(data, n)).toEqual(block(clear, n));
    expect(data.subarray(0, 7)).toEqual(clear.subarray(0, 7));
    expect(data.subarray(-5)).toEqual(clear.subarray(-5));
    cryptSample(data, [{ clear: 7, protected: 25 * 16 + 5 }], cbcs, 'decrypt');
    expect(data).toEqual(clear);
  });

  it('cbcs: the chain restarts from the constant IV at each subsample (§10.4)', () => {
    const clear = Uint8Array.from({ length: 2 * (3 + 16) }, (_, i) => i);
    const data = clear.slice();
    cryptSample(
      data,
      [
        { clear: 3, protected: 16 },
        { clear: 3, protected: 16 },
      ],
      cbcs,
      'encrypt',
    );
    expect(data.subarray(3, 19)).toEqual(ecb(xor(clear.subarray(3, 19), iv)));
    expect(data.subarray(22, 38)).toEqual(ecb(xor(clear.subarray(22, 38), iv)));
  });

  it('cbcs audio (pattern 0:0, no subsamples): every whole block, the partial last block clear', () => {
    const clear = Uint8Array.from({ length: 3 * 16 + 9 }, (_, i) => 255 - i);
    const data = clear.slice();
    cryptSample(data, undefined, { ...cbcs, pattern: { crypt: 0, skip: 0 } }, 'encrypt');
    expect(data.subarray(32, 48)).toEqual(ecb(xor(clear.subarray(32, 48), data.subarray(16, 32))));
    expect(data.subarray(48)).toEqual(clear.subarray(48));
  });

  it('cenc: whole-sample CTR (audio) and subsample CTR are one keystream over the protected bytes', () => {
    const k: SampleKey = { scheme: 'cenc', key, iv: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), pattern: { crypt: 0, skip: 0 } };
    const clear = Uint8Array.from({ length: 100 }, (_, i) => i);
    const whole = clear.slice();
    cryptSample(whole, undefined, k, 'encrypt');
    const sub = clear.slice();
    cryptSample(
      sub,
      [
        { clear: 10, protected: 32 },
        { clear: 10, protected: 48 },
      ],
      k,
      'encrypt',
    );
    expect(sub.subarray(0, 10)).toEqual(clear.subarray(0, 10));
    expect(sub.subarray(42, 52)).toEqual(clear.subarray(42, 52));
    // The protected bytes, joined, are the whole-sample encryption of the joined clear bytes.
    const joined = Uint8Array.from([...clear.subarray(10, 42), ...clear.subarray(52, 100)]);
    cryptSample(joined, undefined, k, 'encrypt');
    expect(Uint8Array.from([...sub.subarray(10, 42), ...sub.subarray(52, 100)])).toEqual(joined);
    expect(whole.subarray(0, 16)).not.toEqual(clear.subarray(0, 16));
  });

  it('refuses a subsample map that does not cover the sample', () => {
    expect(() => cryptSample(new Uint8Array(20), [{ clear: 4, protected: 10 }], cbcs, 'encrypt')).toThrow(/cover/);
  });
});
