// The protection vought applies per scheme and track kind, in one place, so the init segment's
// tenc and the fragments' encryption agree (ISO/IEC 23001-7 §10.1 'cenc', §10.4 'cbcs'):
// - cenc: tenc version 0, 8-byte per-sample IVs, no pattern.
// - cbcs: tenc version 1, constant 16-byte IV; video 1:9 crypt:skip, audio 0:0 (every whole block,
//   whole-sample encryption; CMAF §8.2.3.3 / Apple's SAMPLE-AES for fMP4).
import type { Tenc } from '../boxes/tenc.ts';
import { MediaError } from '../media-error.ts';
import type { Pattern } from './sample-cipher.ts';
import type { Scheme } from './subsamples.ts';

export type TrackKind = 'video' | 'audio';

export const CENC_IV_SIZE = 8;

export function patternFor(scheme: Scheme, kind: TrackKind): Pattern {
  return scheme === 'cbcs' && kind === 'video' ? { crypt: 1, skip: 9 } : { crypt: 0, skip: 0 };
}

export function checkConstantIv(scheme: Scheme, constantIv: Uint8Array | undefined): Uint8Array | undefined {
  if (scheme === 'cenc') return undefined;
  if (constantIv?.length !== 16)
    throw new MediaError('media.malformed', `cbcs needs a 16-byte constant IV, got ${constantIv ? constantIv.length : 'none'}`);
  return constantIv;
}

export function tencFor(scheme: Scheme, kind: TrackKind, kid: Uint8Array, constantIv?: Uint8Array): Tenc {
  if (kid.length !== 16) throw new MediaError('media.malformed', `KID must be 16 bytes, got ${kid.length}`);
  if (scheme === 'cenc') return { version: 0, cryptByteBlock: 0, skipByteBlock: 0, isProtected: true, perSampleIvSize: CENC_IV_SIZE, kid };
  const { crypt, skip } = patternFor(scheme, kind);
  return {
    version: 1,
    cryptByteBlock: crypt,
    skipByteBlock: skip,
    isProtected: true,
    perSampleIvSize: 0,
    kid,
    constantIv: checkConstantIv(scheme, constantIv) as Uint8Array,
  };
}
