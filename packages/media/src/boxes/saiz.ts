// ISO/IEC 14496-12 §8.7.8 Sample Auxiliary Information Sizes Box: the size of each sample's
// auxiliary information (for Common Encryption, its senc entry, ISO/IEC 23001-7 §7.1). One default
// size when all are equal, else a table.
import { MediaError } from '../media-error.ts';
import { BoxCursor } from './box-cursor.ts';
import { writeFullBox } from './box-writer.ts';

const MAX_SAMPLES = 1 << 20;

export interface Saiz {
  /** aux_info_type and its parameter, present when flags & 1 (defaults to the scheme type). */
  auxInfoType?: { type: string; parameter: number };
  /** One size per sample (bytes, 0..255). */
  sizes: number[];
}

export function readSaiz(c: BoxCursor): Saiz {
  const { flags } = c.fullBox();
  const out: Saiz = { sizes: [] };
  if (flags & 1) out.auxInfoType = { type: c.fourcc(), parameter: c.u32() };
  const defaultSize = c.u8();
  const count = c.u32();
  if (defaultSize !== 0) {
    // A default size: the count is not backed by bytes, so it is bounded here before allocating.
    if (count > MAX_SAMPLES) throw new MediaError('media.limit', `saiz sample count ${count}`, { box: 'saiz', offset: c.fileOffset });
    out.sizes = new Array<number>(count).fill(defaultSize);
  } else {
    c.count(count, 1, 'sample');
    for (let i = 0; i < count; i++) out.sizes.push(c.u8());
  }
  return out;
}

export function writeSaiz(s: Saiz): Uint8Array {
  const first = s.sizes[0] ?? 0;
  const uniform = first !== 0 && s.sizes.every((n) => n === first);
  return writeFullBox('saiz', 0, s.auxInfoType ? 1 : 0, (w) => {
    if (s.auxInfoType) w.fourcc(s.auxInfoType.type).u32(s.auxInfoType.parameter);
    w.u8(uniform ? first : 0).u32(s.sizes.length);
    if (!uniform) for (const n of s.sizes) w.u8(n);
  });
}

export function parseSaizBox(bytes: Uint8Array, fileOffset = 0): Saiz {
  return readSaiz(new BoxCursor(bytes, 'saiz', fileOffset, 8));
}
