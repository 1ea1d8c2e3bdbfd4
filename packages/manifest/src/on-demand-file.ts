// The DASH on-demand virtual file of one track (ISO/IEC 23009-1 §8.3, SegmentBase): the stored
// init segment, then a `sidx` indexing the segments of a plan, then those segments' fragments, as
// one byte space. The MPD builder (indexRange, presentationTimeOffset) and the origin (serving its
// bytes) both call `onDemandFile` with what the URL names, so the two cannot disagree.
import { type MediaTrack, sidxSize, writeSidx } from '@vought/media';
import type { SegmentPlan } from './delivery-urls.ts';
import { findFragment, fragmentContaining, planSegments, type Segment, targetTicks } from './segment-planner.ts';

export interface OnDemandFile {
  segments: Segment[];
  /** Byte layout: init [0, initSize), sidx [sidxOffset, mediaOffset), fragments [mediaOffset, total). */
  initSize: number;
  sidxOffset: number;
  sidxSize: number;
  mediaOffset: number;
  mediaSize: number;
  total: number;
  /** Where the fragments start in the stored file. */
  storedMediaOffset: number;
  /** The sidx box itself (earliest presentation time: the first segment's decode time). */
  sidx(): Uint8Array;
}

/**
 * The virtual file of `track` cut by `plan`, from the fragment starting at `startTicks` (a clip)
 * or the first one. Null when no fragment starts there or nothing lies before the plan's end.
 */
export function onDemandFile(track: MediaTrack, plan: SegmentPlan, startTicks?: number): OnDemandFile | null {
  const f = track.fragments;
  const from = startTicks === undefined ? 0 : findFragment(track, startTicks);
  const to = plan.endTicks === undefined ? f.time.length - 1 : fragmentContaining(track, plan.endTicks - 1);
  if (from < 0 || to < from) return null;
  const segments = planSegments(track, targetTicks(track, plan.targetMs), from, to);
  const first = segments[0];
  const last = segments.at(-1);
  const initSize = track.init.size;
  const sidxBytes = sidxSize(segments.length);
  const mediaSize = first && last ? last.offset + last.size - first.offset : 0;
  return {
    segments,
    initSize,
    sidxOffset: initSize,
    sidxSize: sidxBytes,
    mediaOffset: initSize + sidxBytes,
    mediaSize,
    total: initSize + sidxBytes + mediaSize,
    storedMediaOffset: first?.offset ?? 0,
    sidx: () =>
      writeSidx({
        referenceId: 1,
        timescale: track.timescale,
        earliestPresentationTime: first?.time ?? 0,
        firstOffset: 0,
        references: segments.map((s) => ({
          size: s.size,
          duration: s.duration,
          // ISO/IEC 14496-12 §8.16.3: starts_with_SAP; audio fragments always start with one
          startsWithSap: track.fragments.keyframe[s.first] === 1 || track.type === 'audio',
        })),
      }),
  };
}
