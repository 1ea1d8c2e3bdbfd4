// ISO/IEC 23001-7 §8.1 Protection System Specific Header Box: one DRM system's data. Version 1
// lists the KIDs it applies to (§8.1.2); version 0 has none.
import { BoxCursor } from './box-cursor.ts';
import { writeFullBox } from './box-writer.ts';

export interface Pssh {
  /** 16-byte system id (UUID bytes). */
  systemId: Uint8Array;
  /** 16-byte KIDs; written as version 1 when non-empty, version 0 otherwise. */
  kids: Uint8Array[];
  data: Uint8Array;
}

export function readPssh(c: BoxCursor): Pssh {
  const { version } = c.fullBox();
  const systemId = c.slice(16).slice();
  const kids: Uint8Array[] = [];
  if (version > 0) {
    const n = c.count(c.u32(), 16, 'KID');
    for (let i = 0; i < n; i++) kids.push(c.slice(16).slice());
  }
  const size = c.count(c.u32(), 1, 'data byte');
  return { systemId, kids, data: c.slice(size).slice() };
}

export function writePssh(p: Pssh): Uint8Array {
  const version = p.kids.length > 0 ? 1 : 0;
  return writeFullBox('pssh', version, 0, (w) => {
    w.fixed(p.systemId, 16, 'SystemID');
    if (version === 1) {
      w.u32(p.kids.length);
      for (const kid of p.kids) w.fixed(kid, 16, 'KID');
    }
    w.u32(p.data.length).bytes(p.data);
  });
}

export function parsePsshBox(bytes: Uint8Array, fileOffset = 0): Pssh {
  return readPssh(new BoxCursor(bytes, 'pssh', fileOffset, 8));
}
