// ISO/IEC 14496-12 §8.12.2 Original Format Box: the sample entry fourcc (avc1, mp4a, ...) that a
// protected entry (encv, enca) replaced.
import { BoxCursor } from './box-cursor.ts';
import { writeBox } from './box-writer.ts';

export function readFrma(c: BoxCursor): string {
  return c.fourcc();
}

export function writeFrma(dataFormat: string): Uint8Array {
  return writeBox('frma', (w) => w.fourcc(dataFormat));
}

export function parseFrmaBox(bytes: Uint8Array, fileOffset = 0): string {
  return readFrma(new BoxCursor(bytes, 'frma', fileOffset, 8));
}
