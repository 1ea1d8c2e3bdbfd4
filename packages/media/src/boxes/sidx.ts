// ISO/IEC 14496-12 §8.16.3 Segment Index Box: read and written here together (shaka-packager's
// habit), so parser and writer cannot disagree; a round-trip test proves them equal. vought writes
// one for the DASH on-demand profile (SegmentBase indexRange) of files that have none.
import { BoxCursor } from './box-cursor.ts';

export interface SidxReference {
  /** Bytes of the referenced subsegment (moof through mdat). */
  size: number;
  /** Duration in the sidx timescale. */
  duration: number;
  startsWithSap: boolean;
}

export interface Sidx {
  referenceId: number;
  timescale: number;
  earliestPresentationTime: number;
  /** Bytes from the end of the sidx box to the first referenced byte. */
  firstOffset: number;
  references: SidxReference[];
}

export function readSidx(c: BoxCursor): Sidx {
  const { version } = c.fullBox();
  const referenceId = c.u32();
  const timescale = c.u32();
  const earliestPresentationTime = version === 0 ? c.u32() : c.u64();
  const firstOffset = version === 0 ? c.u32() : c.u64();
  c.skip(2);
  const count = c.count(c.u16(), 12, 'reference');
  const references: SidxReference[] = [];
  for (let i = 0; i < count; i++) {
    const typeAndSize = c.u32();
    const duration = c.u32();
    const sap = c.u32();
    references.push({ size: typeAndSize & 0x7fffffff, duration, startsWithSap: (sap & 0x80000000) !== 0 });
  }
  return { referenceId, timescale, earliestPresentationTime, firstOffset, references };
}

/** Size in bytes of the sidx box `writeSidx` makes for `n` references (version 1). */
export function sidxSize(n: number): number {
  return 8 + 4 + 4 + 4 + 8 + 8 + 2 + 2 + 12 * n;
}

export function writeSidx(sidx: Sidx): Uint8Array {
  const size = sidxSize(sidx.references.length);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let p = 0;
  const u32 = (v: number) => {
    view.setUint32(p, v);
    p += 4;
  };
  const u64 = (v: number) => {
    view.setBigUint64(p, BigInt(v));
    p += 8;
  };
  u32(size);
  out.set([0x73, 0x69, 0x64, 0x78], p); // 'sidx'
  p += 4;
  u32(0x01000000); // version 1, flags 0
  u32(sidx.referenceId);
  u32(sidx.timescale);
  u64(sidx.earliestPresentationTime);
  u64(sidx.firstOffset);
  view.setUint16(p, 0);
  view.setUint16(p + 2, sidx.references.length);
  p += 4;
  for (const ref of sidx.references) {
    u32(ref.size & 0x7fffffff); // reference_type 0: media
    u32(ref.duration);
    u32(ref.startsWithSap ? 0x90000000 : 0); // starts_with_SAP, SAP_type 1
  }
  return out;
}

export function parseSidxBox(bytes: Uint8Array, fileOffset = 0): Sidx {
  return readSidx(new BoxCursor(bytes, 'sidx', fileOffset, 8));
}
