// Segments are runs of whole fragments, chosen at request time. The rule is greedy and depends only
// on the starting fragment and the clip's end, both named in the segment URL
// (`s{targetMs}[e{endTicks}]/{tfdt}.m4s`), so a URL alone determines its bytes: starting at fragment
// i, fragment k joins while it starts before the end and (time_k − time_i) < target − tolerance,
// with tolerance a quarter of the track's shortest fragment.
// All in integer ticks (STYLE habit 4).
import type { MediaTrack } from '@vought/media';
import type { SegmentPlan } from './delivery-urls.ts';

export interface Segment {
  /** Fragment indexes, inclusive. */
  first: number;
  last: number;
  /** Decode time of the first fragment (tfdt), ticks. */
  time: number;
  duration: number;
  /** Byte range in the stored file. */
  offset: number;
  size: number;
}

export function targetTicks(track: MediaTrack, targetMs: number): number {
  return Math.round((targetMs * track.timescale) / 1000);
}

/**
 * The segment a URL names (delivery-urls.ts): greedy from the fragment starting at `time`, not
 * reaching `plan.endTicks`. Null when no fragment starts at `time` or it is not before the end.
 */
export function segmentOf(track: MediaTrack, plan: SegmentPlan, time: number): Segment | null {
  const first = findFragment(track, time);
  if (first < 0) return null;
  const limit = plan.endTicks === undefined ? track.fragments.time.length - 1 : fragmentContaining(track, plan.endTicks - 1);
  if (limit < first) return null;
  return segmentAt(track, first, targetTicks(track, plan.targetMs), limit);
}

function tolerance(track: MediaTrack): number {
  let shortest = Number.POSITIVE_INFINITY;
  for (const d of track.fragments.duration) if (d < shortest) shortest = d;
  return Math.floor(shortest / 4);
}

/** The segment starting at fragment `first`, not crossing fragment `limit` (inclusive). */
export function segmentAt(
  track: MediaTrack,
  first: number,
  target: number,
  limit = track.fragments.time.length - 1,
  tol = tolerance(track),
): Segment {
  const f = track.fragments;
  const start = f.time[first] ?? 0;
  let last = first;
  while (last < limit && (f.time[last + 1] ?? 0) - start < target - tol) last++;
  let duration = 0;
  for (let i = first; i <= last; i++) duration += f.duration[i] ?? 0;
  const offset = f.offset[first] ?? 0;
  return { first, last, time: start, duration, offset, size: (f.offset[last] ?? 0) + (f.size[last] ?? 0) - offset };
}

/** Segments covering fragments [from, to]. */
export function planSegments(track: MediaTrack, target: number, from = 0, to = track.fragments.time.length - 1): Segment[] {
  const out: Segment[] = [];
  const tol = tolerance(track);
  for (let i = from; i <= to; ) {
    const segment = segmentAt(track, i, target, to, tol);
    out.push(segment);
    i = segment.last + 1;
  }
  return out;
}

/** Index of the fragment whose tfdt is exactly `time`, or -1 (binary search). */
export function findFragment(track: MediaTrack, time: number): number {
  const times = track.fragments.time;
  let lo = 0;
  let hi = times.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const t = times[mid] ?? 0;
    if (t === time) return mid;
    if (t < time) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Index of the fragment containing `ticks` (the last whose tfdt ≤ ticks; 0 before the first). */
export function fragmentContaining(track: MediaTrack, ticks: number): number {
  const times = track.fragments.time;
  let lo = 0;
  let hi = times.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((times[mid] ?? 0) <= ticks) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Peak and average bit rate of a segmentation (bits/s). */
export function segmentBitrates(track: MediaTrack, segments: Segment[]): { peak: number; average: number } {
  let peak = 0;
  let bytes = 0;
  let ticks = 0;
  for (const s of segments) {
    bytes += s.size;
    ticks += s.duration;
    if (s.duration > 0) peak = Math.max(peak, (s.size * 8 * track.timescale) / s.duration);
  }
  return { peak: Math.ceil(peak), average: ticks > 0 ? Math.ceil((bytes * 8 * track.timescale) / ticks) : 0 };
}
