import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cbcChain, ctrStream, decryptAes128Segment, encryptAes128Segment } from './aes.ts';
import { addToIv, fragmentIv, hlsSequenceIv } from './iv.ts';

const h = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// NIST SP 800-38A appendix F: the AES-128 key and the four plaintext blocks of every example.
const KEY = h('2b7e151628aed2a6abf7158809cf4f3c');
const PLAIN = h(`6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51
                 30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710`);

describe('HLS AES-128 (RFC 8216 §4.3.2.4): AES-128-CBC with PKCS#7', () => {
  it('matches NIST SP 800-38A F.2.1 (CBC-AES128) and adds a whole block of padding', () => {
    const iv = h('000102030405060708090a0b0c0d0e0f');
    const out = encryptAes128Segment(PLAIN, KEY, iv);
    expect(out.length).toBe(80);
    expect(hex(out.subarray(0, 64))).toBe(
      '7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2' +
        '73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7',
    );
    expect(hex(decryptAes128Segment(out, KEY, iv))).toBe(hex(PLAIN));
  });

  it('pads a segment that is not block aligned up to the next block', () => {
    const data = Uint8Array.from({ length: 188 * 7 }, (_, i) => i & 0xff);
    const out = encryptAes128Segment(data, KEY, hlsSequenceIv(7));
    expect(out.length).toBe(1328);
    expect(decryptAes128Segment(out, KEY, hlsSequenceIv(7))).toEqual(data);
  });
});

describe('cenc AES-128-CTR (ISO/IEC 23001-7 §9.3)', () => {
  it('matches NIST SP 800-38A F.5.1 (CTR-AES128) with a 16-byte counter block', () => {
    const data = PLAIN.slice();
    ctrStream(KEY, h('f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff'))(data);
    expect(hex(data.subarray(0, 32))).toBe('874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff');
  });

  it('an 8-byte IV is the counter block IV‖0, and the keystream runs on across calls (subsamples)', () => {
    const iv = h('0102030405060708');
    const whole = PLAIN.slice();
    ctrStream(KEY, h('01020304050607080000000000000000'))(whole);
    const parts = PLAIN.slice();
    const stream = ctrStream(KEY, iv);
    stream(parts.subarray(0, 5));
    stream(parts.subarray(5, 37));
    stream(parts.subarray(37));
    expect(parts).toEqual(whole);
  });
});

describe('cbcs AES-128-CBC chain (ISO/IEC 23001-7 §10.4)', () => {
  it('chains across calls like one CBC pass, and decrypts back', () => {
    const iv = h('000102030405060708090a0b0c0d0e0f');
    const data = PLAIN.slice();
    const chain = cbcChain(KEY, iv, 'encrypt');
    chain(data.subarray(0, 16));
    chain(data.subarray(16));
    expect(hex(data.subarray(0, 16))).toBe('7649abac8119b246cee98e9b12e9197d');
    expect(hex(data.subarray(48))).toBe('3ff1caa1681fac09120eca307586e1a7');
    cbcChain(KEY, iv, 'decrypt')(data);
    expect(data).toEqual(PLAIN);
  });

  it('refuses partial blocks and wrong key or IV sizes', () => {
    expect(() => cbcChain(KEY, new Uint8Array(16), 'encrypt')(new Uint8Array(15))).toThrow(/whole blocks/);
    expect(() => cbcChain(new Uint8Array(15), new Uint8Array(16), 'encrypt')).toThrow(/16 bytes/);
    expect(() => ctrStream(KEY, new Uint8Array(12))).toThrow(/8 or 16/);
  });
});

describe('IVs', () => {
  it('addToIv adds modulo 2^64, big-endian', () => {
    expect(hex(addToIv(h('00000000000000ff'), 1))).toBe('0000000000000100');
    expect(hex(addToIv(h('ffffffffffffffff'), 2))).toBe('0000000000000001');
  });

  it('fragmentIv is stable for a track and time, and differs across tracks and times', () => {
    const seed = h('00112233445566778899aabbccddeeff');
    expect(fragmentIv(seed, 'v720', 180000)).toEqual(fragmentIv(seed, 'v720', 180000));
    expect(fragmentIv(seed, 'v720', 180000)).not.toEqual(fragmentIv(seed, 'v1080', 180000));
    expect(fragmentIv(seed, 'v720', 180000)).not.toEqual(fragmentIv(seed, 'v720', 360000));
    expect(fragmentIv(seed, 'v720', 0).length).toBe(8);
  });

  it('hlsSequenceIv is the media sequence number as a 128-bit big-endian integer (RFC 8216 §5.2)', () => {
    expect(hex(hlsSequenceIv(0x0102))).toBe('00000000000000000000000000000102');
    expect(() => hlsSequenceIv(-1)).toThrow();
  });
});

// Guard against a silently-ignored key: ECB of one block, the primitive the chain tests rest on.
it('node:crypto AES-128-ECB matches NIST SP 800-38A F.1.1', () => {
  const c = createCipheriv('aes-128-ecb', KEY, null).setAutoPadding(false);
  expect(hex(c.update(PLAIN.subarray(0, 16)))).toBe('3ad77bb40d7a3660a89ecaf32466ef97');
});
