// Finds, in an init segment (ftyp + moov), each track's sample entries and what encryption needs
// to know of them: the handler, the codec, the NAL length size (avcC/hvcC) and the trex default
// sample size. ISO/IEC 14496-12 §8.2-§8.5 box paths: moov/trak/mdia/{hdlr, minf/stbl/stsd}.
import { BoxCursor, type ChildBox, childBoxes, findChild } from '../boxes/box-cursor.ts';
import { readHdlr } from '../boxes/hdlr.ts';
import { readStsd } from '../boxes/stsd.ts';
import { readTkhd } from '../boxes/tkhd.ts';
import { readTrex } from '../boxes/trex.ts';
import { MediaError } from '../media-error.ts';
import type { VideoCodec } from './nal-units.ts';
import type { TrackKind } from './protection.ts';

export interface InitTrack {
  trackId: number;
  kind: TrackKind;
  /** Boxes from moov down to stsd (absolute offsets in the init segment), outermost first. */
  path: ChildBox[];
  stsd: ChildBox;
  entries: ChildBox[];
}

export interface InitLayout {
  moov: ChildBox;
  tracks: InitTrack[];
}

function child(bytes: Uint8Array, parent: ChildBox, type: string, depth: number): ChildBox {
  const found = findChild(childBoxes(bytes, parent.payload, parent.end, parent.type, 0, depth), type);
  if (!found) throw new MediaError('media.malformed', `${parent.type} without ${type}`, { box: parent.type, offset: parent.start });
  return found;
}

function kindOf(bytes: Uint8Array, mdia: ChildBox): TrackKind {
  const hdlr = child(bytes, mdia, 'hdlr', 2);
  const handler = readHdlr(new BoxCursor(bytes, 'hdlr', 0, hdlr.payload, hdlr.end));
  if (handler === 'vide') return 'video';
  if (handler === 'soun') return 'audio';
  throw new MediaError('media.unsupported', `cannot encrypt a ${handler} track`, { box: 'hdlr', offset: hdlr.start });
}

export function initLayout(init: Uint8Array): InitLayout {
  const moov = findChild(childBoxes(init, 0, init.length, 'init', 0), 'moov');
  if (!moov) throw new MediaError('media.malformed', 'init segment without moov', { offset: 0 });
  const tracks: InitTrack[] = [];
  for (const trak of childBoxes(init, moov.payload, moov.end, 'moov', 0, 1).filter((b) => b.type === 'trak')) {
    const tkhd = child(init, trak, 'tkhd', 2);
    const mdia = child(init, trak, 'mdia', 2);
    const minf = child(init, mdia, 'minf', 3);
    const stbl = child(init, minf, 'stbl', 4);
    const stsd = child(init, stbl, 'stsd', 5);
    // stsd payload: version/flags, entry_count, then the sample entries (§8.5.2).
    const entries = childBoxes(init, stsd.payload + 8, stsd.end, 'stsd', 0, 6);
    tracks.push({
      trackId: readTkhd(new BoxCursor(init, 'tkhd', 0, tkhd.payload, tkhd.end)).trackId,
      kind: kindOf(init, mdia),
      path: [moov, trak, mdia, minf, stbl, stsd],
      stsd,
      entries,
    });
  }
  if (tracks.length === 0) throw new MediaError('media.malformed', 'moov without trak', { box: 'moov', offset: moov.start });
  return { moov, tracks };
}

/** What encryptSegment needs to know of a track, read from its (clear or encrypted) init segment. */
export interface SegmentTarget {
  codec: VideoCodec | 'aac';
  /** Bytes of each NAL unit's length prefix (video). */
  nalLengthSize: number;
  /** trex default_sample_size, for fragments whose trun and tfhd carry none. */
  defaultSampleSize?: number;
}

const AVC = new Set(['avc1', 'avc3']);
const HEVC = new Set(['hvc1', 'hev1']);

/** ISO/IEC 14496-15 §5.3.3.1 (avcC byte 4) and §8.3.3.1 (hvcC byte 21): lengthSizeMinusOne in the low 2 bits. */
function nalLengthSizeOf(config: Uint8Array | undefined, at: number, box: string): number {
  const b = config?.[at];
  if (b === undefined) throw new MediaError('media.malformed', `${box} too short for lengthSizeMinusOne`, { box });
  return (b & 3) + 1;
}

export function segmentTargetOf(init: Uint8Array): SegmentTarget {
  const layout = initLayout(init);
  if (layout.tracks.length !== 1)
    throw new MediaError('media.unsupported', `expected one track per file, found ${layout.tracks.length}`, { box: 'moov' });
  const track = layout.tracks[0]!;
  const entry = readStsd(init, track.stsd.payload, track.stsd.end, 0);
  let format = entry.fourcc;
  const sinf = entry.boxes.get('sinf');
  const frma = sinf && findChild(childBoxes(sinf, 0, sinf.length, 'sinf', 0, 7), 'frma');
  if (frma) format = new BoxCursor(sinf, 'frma', 0, frma.payload, frma.end).fourcc(); // the original format (§8.12.2)
  let target: SegmentTarget;
  if (AVC.has(format)) target = { codec: 'avc', nalLengthSize: nalLengthSizeOf(entry.boxes.get('avcC'), 4, 'avcC') };
  else if (HEVC.has(format)) target = { codec: 'hevc', nalLengthSize: nalLengthSizeOf(entry.boxes.get('hvcC'), 21, 'hvcC') };
  else if (format === 'mp4a') target = { codec: 'aac', nalLengthSize: 0 };
  else throw new MediaError('media.unsupported', `cannot encrypt ${format} samples (avc1, avc3, hvc1, hev1, mp4a)`, { box: 'stsd' });
  const mvex = findChild(childBoxes(init, layout.moov.payload, layout.moov.end, 'moov', 0, 1), 'mvex');
  const trex =
    mvex &&
    childBoxes(init, mvex.payload, mvex.end, 'mvex', 0, 2)
      .filter((b) => b.type === 'trex')
      .map((b) => readTrex(new BoxCursor(init, 'trex', 0, b.payload, b.end)))
      .find((t) => t.trackId === track.trackId);
  if (trex && trex.defaultSampleSize > 0) target.defaultSampleSize = trex.defaultSampleSize;
  return target;
}
