// ISO/IEC 14496-12 §8.12.5 Scheme Type Box: which protection scheme ('cenc', 'cbcs', ...) and its
// version; ISO/IEC 23001-7 §4.2 fixes scheme_version 0x00010000 for the common schemes.
import { BoxCursor } from './box-cursor.ts';
import { writeFullBox } from './box-writer.ts';

export const CENC_SCHEME_VERSION = 0x00010000;

export interface Schm {
  schemeType: string;
  schemeVersion: number;
  /** Present when flags & 1 (a null-terminated UTF-8 URI). */
  schemeUri?: string;
}

export function readSchm(c: BoxCursor): Schm {
  const { flags } = c.fullBox();
  const out: Schm = { schemeType: c.fourcc(), schemeVersion: c.u32() };
  if (flags & 1) {
    const rest = c.slice(c.remaining);
    const nul = rest.indexOf(0);
    out.schemeUri = new TextDecoder().decode(nul >= 0 ? rest.subarray(0, nul) : rest);
  }
  return out;
}

export function writeSchm(s: Schm): Uint8Array {
  return writeFullBox('schm', 0, s.schemeUri !== undefined ? 1 : 0, (w) => {
    w.fourcc(s.schemeType).u32(s.schemeVersion);
    if (s.schemeUri !== undefined) w.bytes(new TextEncoder().encode(s.schemeUri)).u8(0);
  });
}

export function parseSchmBox(bytes: Uint8Array, fileOffset = 0): Schm {
  return readSchm(new BoxCursor(bytes, 'schm', fileOffset, 8));
}
