// ISO/IEC 14496-12 §8.12.6 Scheme Information Box: a container whose contents the scheme defines;
// for the common encryption schemes it holds the tenc box (ISO/IEC 23001-7 §4.2).
import { MediaError } from '../media-error.ts';
import { BoxCursor, childBoxes, findChild } from './box-cursor.ts';
import { writeBox } from './box-writer.ts';
import { readTenc, type Tenc, writeTenc } from './tenc.ts';

export interface Schi {
  tenc: Tenc;
}

/** Reads the schi box at bytes[start, end) (the whole box, header included). */
export function readSchi(bytes: Uint8Array, start: number, end: number, fileOffset: number): Schi {
  const children = childBoxes(bytes, start + 8, end, 'schi', fileOffset);
  const tenc = findChild(children, 'tenc');
  if (!tenc) throw new MediaError('media.malformed', 'schi without tenc', { box: 'schi', offset: fileOffset + start });
  return { tenc: readTenc(new BoxCursor(bytes, 'tenc', fileOffset, tenc.payload, tenc.end)) };
}

export function writeSchi(schi: Schi): Uint8Array {
  return writeBox('schi', (w) => w.bytes(writeTenc(schi.tenc)));
}

export function parseSchiBox(bytes: Uint8Array, fileOffset = 0): Schi {
  return readSchi(bytes, 0, bytes.length, fileOffset);
}
