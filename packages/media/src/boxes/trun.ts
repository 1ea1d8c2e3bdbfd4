// ISO/IEC 14496-12 §8.8.8 Track Fragment Run Box, every flag combination. Composition offsets are
// signed in version 1. Per-sample values not present fall back to tfhd, then trex defaults.
import type { BoxCursor } from './box-cursor.ts';

export interface TrunSummary {
  sampleCount: number;
  dataOffset?: number;
  /** Sum of sample durations (ticks). */
  duration: number;
  /** Sum of sample sizes (bytes). */
  size: number;
  firstSampleSize: number;
  firstSampleFlags: number;
  /** Distinct sample durations seen, for frame-rate detection. */
  durations: Map<number, number>;
}

export interface SampleDefaults {
  duration: number;
  size: number;
  flags: number;
}

export function readTrun(c: BoxCursor, defaults: SampleDefaults): TrunSummary {
  const { version, flags } = c.fullBox();
  const sampleCount = c.u32();
  const out: TrunSummary = {
    sampleCount,
    duration: 0,
    size: 0,
    firstSampleSize: 0,
    firstSampleFlags: defaults.flags,
    durations: new Map(),
  };
  if (flags & 0x001) out.dataOffset = c.i32();
  let firstFlags: number | undefined;
  if (flags & 0x004) firstFlags = c.u32();
  const perSample = (flags & 0x100 ? 4 : 0) + (flags & 0x200 ? 4 : 0) + (flags & 0x400 ? 4 : 0) + (flags & 0x800 ? 4 : 0);
  // A count that cannot fit in the box fails before the loop (hostile input: 2^31 samples).
  c.count(sampleCount, perSample, 'sample');
  for (let i = 0; i < sampleCount; i++) {
    const duration = flags & 0x100 ? c.u32() : defaults.duration;
    const size = flags & 0x200 ? c.u32() : defaults.size;
    const sampleFlags = flags & 0x400 ? c.u32() : i === 0 && firstFlags !== undefined ? firstFlags : defaults.flags;
    if (flags & 0x800) {
      if (version === 0) c.u32();
      else c.i32();
    }
    if (i === 0) {
      out.firstSampleSize = size;
      out.firstSampleFlags = sampleFlags;
    }
    out.duration += duration;
    out.size += size;
    out.durations.set(duration, (out.durations.get(duration) ?? 0) + 1);
  }
  return out;
}

/** §8.8.3.1: sample_is_non_sync_sample is bit 16 of the sample flags. */
export function isSyncSample(flags: number): boolean {
  return (flags & 0x00010000) === 0;
}
