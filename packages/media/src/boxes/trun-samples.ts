// ISO/IEC 14496-12 §8.8.8 Track Fragment Run Box, read per sample (trun.ts summarises): each
// sample's size, and where the data_offset field lies so a rewriter can move it (the field is
// relative to the base data offset, the moof's start with default-base-is-moof, §8.8.7.1).
import { MediaError } from '../media-error.ts';
import type { BoxCursor } from './box-cursor.ts';

/** Without per-sample fields the count is not backed by bytes: bounded here before allocating. */
const MAX_SAMPLES = 1 << 20;

export interface TrunSamples {
  dataOffset?: number;
  /** Index in the cursor's bytes of the 32-bit data_offset field, when present. */
  dataOffsetAt?: number;
  sizes: number[];
}

/** Reads sample sizes; `defaultSize` (tfhd, then trex) stands in when the run carries none. */
export function readTrunSamples(c: BoxCursor, defaultSize: number | undefined): TrunSamples {
  const { flags } = c.fullBox();
  const count = c.u32();
  const out: TrunSamples = { sizes: [] };
  if (flags & 0x001) {
    out.dataOffsetAt = c.pos;
    out.dataOffset = c.i32();
  }
  if (flags & 0x004) c.skip(4); // first_sample_flags
  const perSample = (flags & 0x100 ? 4 : 0) + (flags & 0x200 ? 4 : 0) + (flags & 0x400 ? 4 : 0) + (flags & 0x800 ? 4 : 0);
  c.count(count, perSample, 'sample');
  if (count > MAX_SAMPLES) throw new MediaError('media.limit', `trun sample count ${count}`, { box: 'trun', offset: c.fileOffset });
  if (!(flags & 0x200) && defaultSize === undefined)
    throw new MediaError('media.unsupported', 'trun has no sample sizes and no default size was given (tfhd or trex)', {
      box: 'trun',
      offset: c.fileOffset,
    });
  for (let i = 0; i < count; i++) {
    if (flags & 0x100) c.skip(4);
    out.sizes.push(flags & 0x200 ? c.u32() : (defaultSize as number));
    if (flags & 0x400) c.skip(4);
    if (flags & 0x800) c.skip(4);
  }
  return out;
}
