// ISO/IEC 14496-12 §8.4.3 Handler Reference Box: `vide`, `soun`, `text`, `subt`...
import type { BoxCursor } from './box-cursor.ts';

export function readHdlr(c: BoxCursor): string {
  c.fullBox();
  c.skip(4);
  return c.fourcc();
}
