// Rewrites a clear init segment into a protected one (ISO/IEC 23001-7 §4, ISO/IEC 14496-12
// §8.12): each sample entry becomes 'encv' (video) or 'enca' (audio), and gains a sinf (frma = its
// original fourcc, schm, schi/tenc) as its last child; the pssh boxes are appended to moov (§8.1).
// Every enclosing box size (stsd, stbl, minf, mdia, trak, moov) is fixed. Pure: bytes in, bytes out.

import { CENC_SCHEME_VERSION } from '../boxes/schm.ts';
import { writeSinf } from '../boxes/sinf.ts';
import { MediaError } from '../media-error.ts';
import { type BoxEdit, concatBytes, shiftedOffset, spliceBoxes } from './box-splice.ts';
import { initLayout } from './init-tracks.ts';
import { tencFor } from './protection.ts';
import type { Scheme } from './subsamples.ts';

export interface InitEncryption {
  scheme: Scheme;
  kid: Uint8Array;
  /** 16 bytes; required for cbcs (the tenc default_constant_IV), ignored for cenc. */
  constantIv?: Uint8Array;
  /** Whole pssh boxes (writePssh, or from a CPIX document), appended to moov in order. */
  pssh: Uint8Array[];
}

const PROTECTED_ENTRY = { video: 'encv', audio: 'enca' } as const;

export function encryptInit(init: Uint8Array, options: InitEncryption): Uint8Array {
  const layout = initLayout(init);
  const edits: BoxEdit[] = [];
  const renames: Array<{ at: number; to: string }> = [];
  for (const track of layout.tracks) {
    const tenc = tencFor(options.scheme, track.kind, options.kid, options.constantIv);
    for (const entry of track.entries) {
      if (entry.type === 'encv' || entry.type === 'enca')
        throw new MediaError('media.unsupported', 'the init segment is already encrypted', { box: entry.type, offset: entry.start });
      const sinf = writeSinf({
        originalFormat: entry.type,
        scheme: { schemeType: options.scheme, schemeVersion: CENC_SCHEME_VERSION },
        schi: { tenc },
      });
      edits.push({ at: entry.end, remove: 0, insert: sinf, enclosing: [...track.path.map((b) => b.start), entry.start] });
      renames.push({ at: entry.start + 4, to: PROTECTED_ENTRY[track.kind] });
    }
  }
  const pssh = concatBytes(options.pssh);
  if (pssh.length > 0) edits.push({ at: layout.moov.end, remove: 0, insert: pssh, enclosing: [layout.moov.start] });
  const out = spliceBoxes(init, edits);
  for (const r of renames) {
    const at = shiftedOffset(edits, r.at);
    for (let i = 0; i < 4; i++) out[at + i] = r.to.charCodeAt(i);
  }
  return out;
}
