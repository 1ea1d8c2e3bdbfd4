// ISO/IEC 14496-12 §8.12.1 Protection Scheme Information Box, inside a protected sample entry:
// frma (the original format), schm (the scheme), schi (the scheme's data: tenc for the common
// encryption schemes, ISO/IEC 23001-7 §4.2).
import { MediaError } from '../media-error.ts';
import { BoxCursor, childBoxes, findChild } from './box-cursor.ts';
import { writeBox } from './box-writer.ts';
import { readFrma, writeFrma } from './frma.ts';
import { readSchi, type Schi, writeSchi } from './schi.ts';
import { readSchm, type Schm, writeSchm } from './schm.ts';

export interface Sinf {
  originalFormat: string;
  scheme: Schm;
  schi: Schi;
}

/** Reads the sinf box at bytes[start, end) (the whole box, header included). */
export function readSinf(bytes: Uint8Array, start: number, end: number, fileOffset: number): Sinf {
  const children = childBoxes(bytes, start + 8, end, 'sinf', fileOffset);
  const frma = findChild(children, 'frma');
  const schm = findChild(children, 'schm');
  const schi = findChild(children, 'schi');
  if (!frma || !schm || !schi)
    throw new MediaError('media.malformed', 'sinf without frma, schm or schi', { box: 'sinf', offset: fileOffset + start });
  return {
    originalFormat: readFrma(new BoxCursor(bytes, 'frma', fileOffset, frma.payload, frma.end)),
    scheme: readSchm(new BoxCursor(bytes, 'schm', fileOffset, schm.payload, schm.end)),
    schi: readSchi(bytes, schi.start, schi.end, fileOffset),
  };
}

export function writeSinf(sinf: Sinf): Uint8Array {
  return writeBox('sinf', (w) => {
    w.bytes(writeFrma(sinf.originalFormat));
    w.bytes(writeSchm(sinf.scheme));
    w.bytes(writeSchi(sinf.schi));
  });
}

export function parseSinfBox(bytes: Uint8Array, fileOffset = 0): Sinf {
  return readSinf(bytes, 0, bytes.length, fileOffset);
}
