// ISO/IEC 14496-12 §8.7.9 Sample Auxiliary Information Offsets Box: where the auxiliary
// information lies. In a traf the offsets are relative to the base data offset of tfhd (the moof's
// start with default-base-is-moof), and one entry means the samples' information is contiguous.
import { BoxCursor } from './box-cursor.ts';
import { writeFullBox } from './box-writer.ts';

export interface Saio {
  auxInfoType?: { type: string; parameter: number };
  offsets: number[];
}

export function readSaio(c: BoxCursor): Saio {
  const { version, flags } = c.fullBox();
  const out: Saio = { offsets: [] };
  if (flags & 1) out.auxInfoType = { type: c.fourcc(), parameter: c.u32() };
  const count = c.count(c.u32(), version === 0 ? 4 : 8, 'offset');
  for (let i = 0; i < count; i++) out.offsets.push(version === 0 ? c.u32() : c.u64());
  return out;
}

export function writeSaio(s: Saio): Uint8Array {
  const version = s.offsets.some((o) => o > 0xffffffff) ? 1 : 0;
  return writeFullBox('saio', version, s.auxInfoType ? 1 : 0, (w) => {
    if (s.auxInfoType) w.fourcc(s.auxInfoType.type).u32(s.auxInfoType.parameter);
    w.u32(s.offsets.length);
    for (const o of s.offsets) {
      if (version === 0) w.u32(o);
      else w.u64(o);
    }
  });
}

export function parseSaioBox(bytes: Uint8Array, fileOffset = 0): Saio {
  return readSaio(new BoxCursor(bytes, 'saio', fileOffset, 8));
}
