// The KeyProvider port: the content key, its KID, the IV and the pssh boxes for one video and one
// key period. Origins call it per request; implementations must be deterministic (stateless origins
// must agree on the bytes they serve) or backed by a shared store.
import { KeyError } from './key-error.ts';

export interface ContentKey {
  /** 16-byte key id (tenc default_KID, DASH cenc:default_KID, HLS KEYID). */
  kid: Uint8Array;
  /** 16-byte AES-128 content key. */
  key: Uint8Array;
  /** 16 bytes: the cbcs constant IV; for cenc, the seed of the per-fragment IVs (fragmentIv). */
  iv: Uint8Array;
  /** Whole pssh boxes (ISO/IEC 23001-7 §8.1) for the init segment. */
  pssh: Uint8Array[];
}

export interface KeyProvider {
  keyFor(videoId: string, period: number): Promise<ContentKey>;
}

/** Key rotation: segment `segmentIndex` (0-based) belongs to period floor(index / segmentsPerPeriod); Infinity means no rotation. */
export function periodOf(segmentIndex: number, segmentsPerPeriod: number): number {
  if (!Number.isSafeInteger(segmentIndex) || segmentIndex < 0) throw new KeyError('keys.invalid', `segment index ${segmentIndex}`);
  if (segmentsPerPeriod === Number.POSITIVE_INFINITY) return 0;
  if (!Number.isSafeInteger(segmentsPerPeriod) || segmentsPerPeriod < 1)
    throw new KeyError('keys.invalid', `segments per period ${segmentsPerPeriod} is not a positive integer`);
  return Math.floor(segmentIndex / segmentsPerPeriod);
}

export function checkRequest(videoId: string, period: number): void {
  if (videoId.length === 0) throw new KeyError('keys.invalid', 'empty video id');
  if (!Number.isSafeInteger(period) || period < 0) throw new KeyError('keys.invalid', `key period ${period} is not a non-negative integer`);
}

/** A 16-byte KID as the UUID string DASH and CPIX write (8-4-4-4-12 lowercase hex). */
export function uuidOf(kid: Uint8Array): string {
  if (kid.length !== 16) throw new KeyError('keys.invalid', `KID must be 16 bytes, got ${kid.length}`);
  const h = Buffer.from(kid).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The 16 bytes of a UUID string (with or without dashes). */
export function kidOf(uuid: string): Uint8Array {
  const h = uuid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(h)) throw new KeyError('keys.invalid', `${JSON.stringify(uuid)} is not a UUID`);
  return Uint8Array.from(Buffer.from(h, 'hex'));
}
