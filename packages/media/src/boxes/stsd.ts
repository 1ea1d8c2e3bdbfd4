// ISO/IEC 14496-12 §8.5.2 Sample Description Box, with the sample entries vought reads:
// visual (avc1, avc3, hvc1, hev1, vp09, av01) and audio (mp4a, Opus, ac-3, ec-3, fLaC). The codec
// configuration boxes inside (avcC, hvcC, esds, dOps, dac3, dec3, pasp) are returned by type.
import { MediaError } from '../media-error.ts';
import { BoxCursor, childBoxes } from './box-cursor.ts';

export interface SampleEntry {
  fourcc: string;
  kind: 'video' | 'audio' | 'other';
  width: number;
  height: number;
  channels: number;
  sampleRate: number;
  /** Child boxes' payloads by type (avcC, hvcC, esds, dOps, pasp, ...). */
  boxes: Map<string, Uint8Array>;
}

const visual = new Set(['avc1', 'avc3', 'hvc1', 'hev1', 'vp09', 'av01', 'encv']);
const audio = new Set(['mp4a', 'Opus', 'ac-3', 'ec-3', 'fLaC', 'enca', 'alac']);

export function readStsd(bytes: Uint8Array, start: number, end: number, fileOffset: number): SampleEntry {
  const c = new BoxCursor(bytes, 'stsd', fileOffset, start, end);
  c.fullBox();
  const count = c.u32();
  if (count < 1) throw new MediaError('media.malformed', 'no sample entry', { box: 'stsd', offset: fileOffset + start });
  const [entry] = childBoxes(bytes, c.pos, end, 'stsd', fileOffset);
  if (!entry) throw new MediaError('media.malformed', 'no sample entry', { box: 'stsd', offset: fileOffset + start });
  const e = new BoxCursor(bytes, entry.type, fileOffset, entry.payload, entry.end);
  e.skip(6 + 2); // reserved, data_reference_index (§8.5.2.2)
  const out: SampleEntry = { fourcc: entry.type, kind: 'other', width: 0, height: 0, channels: 0, sampleRate: 0, boxes: new Map() };
  if (visual.has(entry.type)) {
    out.kind = 'video';
    e.skip(16);
    out.width = e.u16();
    out.height = e.u16();
    e.skip(4 + 4 + 4 + 2 + 32 + 2 + 2); // resolutions, reserved, frame_count, compressorname, depth, pre_defined
  } else if (audio.has(entry.type)) {
    out.kind = 'audio';
    const version = e.u16(); // QuickTime sound description version (0 in ISO files)
    e.skip(6);
    out.channels = e.u16();
    e.skip(2 + 2 + 2); // samplesize, pre_defined, reserved
    out.sampleRate = e.u32() >>> 16;
    if (version === 1) e.skip(16);
    else if (version === 2) e.skip(36);
  } else {
    return out;
  }
  for (const child of childBoxes(bytes, e.pos, entry.end, entry.type, fileOffset)) {
    out.boxes.set(child.type, bytes.subarray(child.payload, child.end));
  }
  return out;
}
