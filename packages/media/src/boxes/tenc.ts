// ISO/IEC 23001-7 §8.2 Track Encryption Box: the track's default protection. Version 0 for 'cenc';
// version 1 carries the crypt:skip byte-block pattern of 'cbcs' (§8.2.2). A constant IV follows
// the KID when samples are protected with no per-sample IV (Per_Sample_IV_Size 0, §9.1).
import { MediaError } from '../media-error.ts';
import { BoxCursor } from './box-cursor.ts';
import { writeFullBox } from './box-writer.ts';

export interface Tenc {
  /** 1 when a pattern is carried (cbcs), else 0. */
  version: 0 | 1;
  /** Encrypted 16-byte blocks of each pattern (version 1 only; 0 in version 0). */
  cryptByteBlock: number;
  /** Clear 16-byte blocks of each pattern (version 1 only; 0 in version 0). */
  skipByteBlock: number;
  isProtected: boolean;
  /** 0 (constant IV), 8 or 16. */
  perSampleIvSize: 0 | 8 | 16;
  kid: Uint8Array;
  /** Present exactly when isProtected and perSampleIvSize is 0; 8 or 16 bytes. */
  constantIv?: Uint8Array;
}

export function readTenc(c: BoxCursor): Tenc {
  const { version } = c.fullBox();
  if (version > 1) throw new MediaError('media.unsupported', `tenc version ${version}`, { box: 'tenc', offset: c.fileOffset });
  c.skip(1); // reserved
  const pattern = c.u8(); // reserved (0) in version 0
  const isProtected = c.u8() === 1;
  const ivSize = c.u8();
  if (ivSize !== 0 && ivSize !== 8 && ivSize !== 16)
    throw new MediaError('media.malformed', `Per_Sample_IV_Size ${ivSize} is not 0, 8 or 16`, { box: 'tenc', offset: c.fileOffset });
  const kid = c.slice(16).slice();
  const out: Tenc = {
    version: version as 0 | 1,
    cryptByteBlock: version === 1 ? pattern >> 4 : 0,
    skipByteBlock: version === 1 ? pattern & 0x0f : 0,
    isProtected,
    perSampleIvSize: ivSize,
    kid,
  };
  if (isProtected && ivSize === 0) {
    const n = c.u8();
    if (n !== 8 && n !== 16)
      throw new MediaError('media.malformed', `constant IV size ${n} is not 8 or 16`, { box: 'tenc', offset: c.fileOffset });
    out.constantIv = c.slice(n).slice();
  }
  return out;
}

export function writeTenc(t: Tenc): Uint8Array {
  const needsConstantIv = t.isProtected && t.perSampleIvSize === 0;
  if (needsConstantIv !== (t.constantIv !== undefined))
    throw new MediaError('media.malformed', 'tenc: a constant IV goes with Per_Sample_IV_Size 0 on a protected track, and only then');
  if (t.version === 0 && (t.cryptByteBlock || t.skipByteBlock))
    throw new MediaError('media.malformed', 'tenc version 0 cannot carry a pattern');
  return writeFullBox('tenc', t.version, 0, (w) => {
    w.u8(0);
    w.u8(t.version === 1 ? ((t.cryptByteBlock & 0x0f) << 4) | (t.skipByteBlock & 0x0f) : 0);
    w.u8(t.isProtected ? 1 : 0);
    w.u8(t.perSampleIvSize);
    w.fixed(t.kid, 16, 'KID');
    if (t.constantIv) {
      if (t.constantIv.length !== 8 && t.constantIv.length !== 16)
        throw new MediaError('media.malformed', `constant IV must be 8 or 16 bytes, got ${t.constantIv.length}`);
      w.u8(t.constantIv.length).bytes(t.constantIv);
    }
  });
}

export function parseTencBox(bytes: Uint8Array, fileOffset = 0): Tenc {
  return readTenc(new BoxCursor(bytes, 'tenc', fileOffset, 8));
}
