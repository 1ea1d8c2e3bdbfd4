// ISO/IEC 14496-12 §8.8.7 Track Fragment Header Box.
import type { BoxCursor } from './box-cursor.ts';

export interface Tfhd {
  trackId: number;
  baseDataOffset?: number;
  defaultBaseIsMoof: boolean;
  defaultSampleDuration?: number;
  defaultSampleSize?: number;
  defaultSampleFlags?: number;
}

export function readTfhd(c: BoxCursor): Tfhd {
  const { flags } = c.fullBox();
  const out: Tfhd = { trackId: c.u32(), defaultBaseIsMoof: (flags & 0x020000) !== 0 };
  if (flags & 0x000001) out.baseDataOffset = c.u64();
  if (flags & 0x000002) c.skip(4); // sample_description_index
  if (flags & 0x000008) out.defaultSampleDuration = c.u32();
  if (flags & 0x000010) out.defaultSampleSize = c.u32();
  if (flags & 0x000020) out.defaultSampleFlags = c.u32();
  return out;
}
