// What the builders need to signal encryption, computed by the caller (the origin, from its
// KeyProvider) so the builders stay pure: which key period each segment is in, each period's KID,
// pssh boxes and (HLS AES-128) each segment's IV, and where players fetch keys.
import type { SegmentPlan } from './delivery-urls.ts';

export interface ManifestKeys {
  /** Key period of the `index`-th segment of a selection (0-based, from the clip's start). */
  periodOf(index: number): number;
  /** The 16-byte KID of a key period. */
  kid(period: number): Uint8Array;
  /** Whole pssh boxes of a key period (DASH cenc:pssh). */
  pssh(period: number): Uint8Array[];
  /** HLS AES-128: the 16-byte IV of the segment of `trackId` cut by `plan` at `time`. */
  aesIv(period: number, trackId: string, plan: SegmentPlan, time: number): Uint8Array;
  /** Absolute URL of the W3C ClearKey licence (DASH dashif:Laurl), without query; undefined when keys go only to a DRM's licence server. */
  licenceUrl: string | undefined;
  /** Query for key URIs and the licence URL (`token=...`), empty for none. */
  keyQuery: string;
}

export const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** 8-4-4-4-12 lowercase (DASH cenc:default_KID, urn:uuid: system ids). */
export function uuid(bytes: Uint8Array): string {
  const h = hex(bytes);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The SystemID of a whole pssh box (ISO/IEC 23001-7 §8.1.2: after size, type, version and flags). */
export function psshSystemId(box: Uint8Array): string {
  return uuid(box.subarray(12, 28));
}

/** Index ranges [start, end) of consecutive segments in the same key period. */
export function keyPeriods(count: number, keys: Pick<ManifestKeys, 'periodOf'>): Array<{ period: number; start: number; end: number }> {
  const out: Array<{ period: number; start: number; end: number }> = [];
  for (let i = 0; i < count; i++) {
    const period = keys.periodOf(i);
    const last = out.at(-1);
    if (last && last.period === period) last.end = i + 1;
    else out.push({ period, start: i, end: i + 1 });
  }
  return out;
}
