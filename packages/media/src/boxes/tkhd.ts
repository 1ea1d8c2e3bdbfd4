// ISO/IEC 14496-12 §8.3.2 Track Header Box.
import type { BoxCursor } from './box-cursor.ts';

export interface Tkhd {
  trackId: number;
  width: number;
  height: number;
  /** Degrees clockwise, from the transformation matrix (0, 90, 180, 270). */
  rotation: number;
}

export function readTkhd(c: BoxCursor): Tkhd {
  const { version } = c.fullBox();
  if (version === 1) c.skip(16);
  else c.skip(8); // creation, modification time
  const trackId = c.u32();
  c.skip(4); // reserved
  if (version === 1) c.skip(8);
  else c.skip(4); // duration
  c.skip(8 + 2 + 2 + 2 + 2); // reserved, layer, alternate_group, volume, reserved
  const m = Array.from({ length: 9 }, () => c.i32());
  const width = c.fixed16();
  const height = c.fixed16();
  // Matrix {a b u / c d v / x y w}, a,b,c,d in 16.16: rotation is atan2(b, a).
  const a = (m[0] ?? 0) / 65536;
  const b = (m[1] ?? 0) / 65536;
  const degrees = Math.round((Math.atan2(b, a) * 180) / Math.PI);
  const rotation = (((Math.round(degrees / 90) * 90) % 360) + 360) % 360;
  return { trackId, width: Math.round(width), height: Math.round(height), rotation };
}
