// ISO/IEC 14496-12 §8.8.12 Track Fragment Base Media Decode Time Box (v0: 32 bits, v1: 64 bits).
import type { BoxCursor } from './box-cursor.ts';

export function readTfdt(c: BoxCursor): number {
  const { version } = c.fullBox();
  return version === 1 ? c.u64() : c.u32();
}
