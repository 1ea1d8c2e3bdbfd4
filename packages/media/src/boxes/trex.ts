// ISO/IEC 14496-12 §8.8.3 Track Extends Box: defaults for fragments.
import type { BoxCursor } from './box-cursor.ts';

export interface Trex {
  trackId: number;
  defaultSampleDuration: number;
  defaultSampleSize: number;
  defaultSampleFlags: number;
}

export function readTrex(c: BoxCursor): Trex {
  c.fullBox();
  const trackId = c.u32();
  c.skip(4); // default_sample_description_index
  return { trackId, defaultSampleDuration: c.u32(), defaultSampleSize: c.u32(), defaultSampleFlags: c.u32() };
}
