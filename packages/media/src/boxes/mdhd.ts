// ISO/IEC 14496-12 §8.4.2 Media Header Box: timescale and ISO 639-2/T language.
import { MediaError } from '../media-error.ts';
import type { BoxCursor } from './box-cursor.ts';

export interface Mdhd {
  timescale: number;
  duration: number;
  language: string;
}

export function readMdhd(c: BoxCursor): Mdhd {
  const { version } = c.fullBox();
  c.skip(version === 1 ? 16 : 8);
  const timescale = c.u32();
  const duration = version === 1 ? c.u64() : c.u32();
  const packed = c.u16();
  if (timescale === 0) throw new MediaError('media.malformed', 'timescale is 0', { box: 'mdhd', offset: c.fileOffset });
  // Three 5-bit letters, each + 0x60 (§8.4.2.3).
  const letters = [(packed >> 10) & 31, (packed >> 5) & 31, packed & 31].map((v) => String.fromCharCode(v + 0x60));
  const language = letters.every((l) => l >= 'a' && l <= 'z') ? letters.join('') : 'und';
  return { timescale, duration, language };
}
