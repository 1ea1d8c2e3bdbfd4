import { describe, expect, it } from 'vitest';
import { MediaError } from '../media-error.ts';
import { parseFrmaBox, writeFrma } from './frma.ts';
import { type Pssh, parsePsshBox, writePssh } from './pssh.ts';
import { parseSaioBox, writeSaio } from './saio.ts';
import { parseSaizBox, writeSaiz } from './saiz.ts';
import { parseSchiBox, writeSchi } from './schi.ts';
import { CENC_SCHEME_VERSION, parseSchmBox, writeSchm } from './schm.ts';
import { parseSencBox, type Senc, writeSenc } from './senc.ts';
import { parseSinfBox, type Sinf, writeSinf } from './sinf.ts';
import { parseTencBox, type Tenc, writeTenc } from './tenc.ts';

const bytes = (n: number, from = 1) => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);
const typeOf = (box: Uint8Array) => Buffer.from(box.subarray(4, 8)).toString('latin1');
const sizeOf = (box: Uint8Array) => new DataView(box.buffer, box.byteOffset).getUint32(0);
const hex = (box: Uint8Array) => Buffer.from(box).toString('hex');

const cencTenc: Tenc = { version: 0, cryptByteBlock: 0, skipByteBlock: 0, isProtected: true, perSampleIvSize: 8, kid: bytes(16) };
const cbcsTenc: Tenc = {
  version: 1,
  cryptByteBlock: 1,
  skipByteBlock: 9,
  isProtected: true,
  perSampleIvSize: 0,
  kid: bytes(16, 0x40),
  constantIv: bytes(16, 0x80),
};

describe('tenc (ISO/IEC 23001-7 §8.2)', () => {
  it('round-trips version 0 (cenc) byte for byte as the standard lays it out', () => {
    const box = writeTenc(cencTenc);
    expect(typeOf(box)).toBe('tenc');
    // size 32, version 0, flags 0, reserved, reserved, isProtected 1, IV size 8, KID
    expect(hex(box)).toBe(`00000020${Buffer.from('tenc').toString('hex')}00000000` + `0000` + `0108` + hex(bytes(16)));
    expect(parseTencBox(box)).toEqual(cencTenc);
  });

  it('round-trips version 1 (cbcs) with the 1:9 pattern and a constant IV', () => {
    const box = writeTenc(cbcsTenc);
    expect(box[8]).toBe(1); // version
    expect(box[13]).toBe(0x19); // crypt 1, skip 9
    expect(box[32]).toBe(16); // default_constant_IV_size
    expect(box.length).toBe(sizeOf(box));
    expect(parseTencBox(box)).toEqual(cbcsTenc);
  });

  it('refuses a constant IV beside per-sample IVs, and a pattern in version 0', () => {
    expect(() => writeTenc({ ...cencTenc, constantIv: bytes(16) })).toThrow(MediaError);
    expect(() => writeTenc({ ...cencTenc, cryptByteBlock: 1 })).toThrow(/pattern/);
    expect(() => writeTenc({ ...cencTenc, kid: bytes(15) })).toThrow(/KID/);
  });
});

describe('schm (ISO/IEC 14496-12 §8.12.5)', () => {
  it('round-trips cenc and cbcs with version 0x10000, and a scheme URI', () => {
    for (const schemeType of ['cenc', 'cbcs']) {
      const box = writeSchm({ schemeType, schemeVersion: CENC_SCHEME_VERSION });
      expect(box.length).toBe(20);
      expect(hex(box.subarray(12))).toBe(`${Buffer.from(schemeType).toString('hex')}00010000`);
      expect(parseSchmBox(box)).toEqual({ schemeType, schemeVersion: 0x10000 });
    }
    const withUri = { schemeType: 'cenc', schemeVersion: 0x10000, schemeUri: 'https://example.com/s' };
    expect(parseSchmBox(writeSchm(withUri))).toEqual(withUri);
  });
});

describe('frma (ISO/IEC 14496-12 §8.12.2)', () => {
  it('round-trips the original format', () => {
    const box = writeFrma('avc1');
    expect(hex(box)).toBe(`0000000c${Buffer.from('frmaavc1').toString('hex')}`);
    expect(parseFrmaBox(box)).toBe('avc1');
  });
});

describe('schi (ISO/IEC 14496-12 §8.12.6)', () => {
  it('round-trips the tenc it holds', () => {
    const box = writeSchi({ tenc: cbcsTenc });
    expect(typeOf(box)).toBe('schi');
    expect(sizeOf(box)).toBe(box.length);
    expect(parseSchiBox(box)).toEqual({ tenc: cbcsTenc });
  });
});

describe('sinf (ISO/IEC 14496-12 §8.12.1)', () => {
  it('round-trips frma + schm + schi/tenc for both schemes', () => {
    for (const [fmt, scheme, tenc] of [
      ['avc1', 'cenc', cencTenc],
      ['mp4a', 'cbcs', { ...cbcsTenc, cryptByteBlock: 0, skipByteBlock: 0 }],
    ] as const) {
      const sinf: Sinf = { originalFormat: fmt, scheme: { schemeType: scheme, schemeVersion: CENC_SCHEME_VERSION }, schi: { tenc } };
      const box = writeSinf(sinf);
      expect(sizeOf(box)).toBe(box.length);
      expect(typeOf(box.subarray(8))).toBe('frma');
      expect(parseSinfBox(box)).toEqual(sinf);
    }
  });

  it('refuses a sinf without schi', () => {
    const frma = writeFrma('avc1');
    const box = new Uint8Array(8 + frma.length);
    new DataView(box.buffer).setUint32(0, box.length);
    box.set(Buffer.from('sinf'), 4);
    box.set(frma, 8);
    expect(() => parseSinfBox(box)).toThrow(/without/);
  });
});

describe('pssh (ISO/IEC 23001-7 §8.1)', () => {
  it('round-trips version 0 (no KIDs) and version 1 (KIDs)', () => {
    const v0: Pssh = { systemId: bytes(16, 0xed), kids: [], data: bytes(37) };
    const box0 = writePssh(v0);
    expect(box0[8]).toBe(0);
    expect(box0.length).toBe(8 + 4 + 16 + 4 + 37);
    expect(parsePsshBox(box0)).toEqual(v0);
    const v1: Pssh = { systemId: bytes(16, 0x10), kids: [bytes(16, 1), bytes(16, 2)], data: new Uint8Array(0) };
    const box1 = writePssh(v1);
    expect(box1[8]).toBe(1);
    expect(box1.length).toBe(8 + 4 + 16 + 4 + 32 + 4);
    expect(parsePsshBox(box1)).toEqual(v1);
  });

  it('refuses a DataSize past the box', () => {
    const box = writePssh({ systemId: bytes(16), kids: [], data: bytes(4) });
    new DataView(box.buffer).setUint32(28, 1000);
    expect(() => parsePsshBox(box)).toThrow(/count/);
  });
});

describe('senc (ISO/IEC 23001-7 §7.2)', () => {
  it('round-trips per-sample IVs with subsamples (flags 0x2)', () => {
    const senc: Senc = {
      samples: [
        {
          iv: bytes(8, 1),
          subsamples: [
            { clear: 5, protected: 64 },
            { clear: 65535, protected: 0 },
          ],
        },
        { iv: bytes(8, 9), subsamples: [{ clear: 21, protected: 4_000_000 }] },
      ],
    };
    const box = writeSenc(senc);
    expect(new DataView(box.buffer).getUint32(8)).toBe(2); // version 0, flags 0x2
    expect(box.length).toBe(16 + (8 + 2 + 12) + (8 + 2 + 6));
    expect(parseSencBox(box, 8)).toEqual(senc);
  });

  it('round-trips whole-sample entries: 8-byte IVs (cenc audio), and none at all (cbcs constant IV)', () => {
    const cenc: Senc = { samples: [{ iv: bytes(8) }, { iv: bytes(8, 50) }] };
    expect(parseSencBox(writeSenc(cenc), 8)).toEqual(cenc);
    const cbcs: Senc = { samples: [{ iv: new Uint8Array(0) }, { iv: new Uint8Array(0) }, { iv: new Uint8Array(0) }] };
    const box = writeSenc(cbcs);
    expect(box.length).toBe(16);
    expect(parseSencBox(box, 0)).toEqual(cbcs);
  });

  it('refuses clear runs over 16 bits and an IV size that does not match the entries', () => {
    expect(() => writeSenc({ samples: [{ iv: bytes(8), subsamples: [{ clear: 70000, protected: 0 }] }] })).toThrow(/16 bits/);
    const box = writeSenc({ samples: [{ iv: bytes(16) }] });
    expect(() => parseSencBox(box, 8)).toThrow(MediaError);
  });
});

describe('saiz (ISO/IEC 14496-12 §8.7.8)', () => {
  it('round-trips a default size and a table, with and without aux_info_type', () => {
    const uniform = writeSaiz({ sizes: [16, 16, 16] });
    expect(uniform.length).toBe(17);
    expect(parseSaizBox(uniform)).toEqual({ sizes: [16, 16, 16] });
    const table = { auxInfoType: { type: 'cenc', parameter: 0 }, sizes: [16, 22, 10] };
    const box = writeSaiz(table);
    expect(box.length).toBe(17 + 8 + 3);
    expect(parseSaizBox(box)).toEqual(table);
  });
});

describe('saio (ISO/IEC 14496-12 §8.7.9)', () => {
  it('round-trips 32-bit and 64-bit offsets', () => {
    const small = { offsets: [1234] };
    expect(writeSaio(small).length).toBe(20);
    expect(parseSaioBox(writeSaio(small))).toEqual(small);
    const big = { auxInfoType: { type: 'cbcs', parameter: 0 }, offsets: [2 ** 40, 5] };
    const box = writeSaio(big);
    expect(box[8]).toBe(1);
    expect(parseSaioBox(box)).toEqual(big);
  });
});
