// The moof/mdat pairs of a media segment and where each sample lies (ISO/IEC 14496-12 §8.8):
// one traf per moof (vought stores one track per file), sample sizes from trun, else tfhd, else
// the trex default the caller passes; data offsets relative to the moof's start (default-base-is-
// moof, §8.8.7.1; also the rule for the first traf when tfhd names no base).
import { BoxCursor, type ChildBox, childBoxes, findChild } from '../boxes/box-cursor.ts';
import { readTfhd } from '../boxes/tfhd.ts';
import { readTrunSamples } from '../boxes/trun-samples.ts';
import { MediaError } from '../media-error.ts';

export interface SampleRange {
  /** Offset in the segment. */
  offset: number;
  size: number;
}

export interface Fragment {
  moof: ChildBox;
  traf: ChildBox;
  mdat: ChildBox;
  /** Offsets in the segment of each trun's data_offset field. */
  dataOffsetFields: number[];
  samples: SampleRange[];
  /** senc, saiz, saio already in the traf (an encrypted fragment). */
  protection: ChildBox[];
}

const PROTECTION_BOXES = new Set(['senc', 'saiz', 'saio']);

function readFragment(bytes: Uint8Array, moof: ChildBox, mdat: ChildBox, trexSampleSize: number | undefined): Fragment {
  const trafs = childBoxes(bytes, moof.payload, moof.end, 'moof', 0, 1).filter((b) => b.type === 'traf');
  if (trafs.length !== 1)
    throw new MediaError('media.unsupported', `expected one traf per moof, found ${trafs.length}`, { box: 'moof', offset: moof.start });
  const traf = trafs[0]!;
  const parts = childBoxes(bytes, traf.payload, traf.end, 'traf', 0, 2);
  const tfhdBox = findChild(parts, 'tfhd');
  if (!tfhdBox) throw new MediaError('media.malformed', 'traf without tfhd', { box: 'traf', offset: traf.start });
  const tfhd = readTfhd(new BoxCursor(bytes, 'tfhd', 0, tfhdBox.payload, tfhdBox.end));
  if (tfhd.baseDataOffset !== undefined)
    throw new MediaError('media.unsupported', 'tfhd with an explicit base_data_offset (expected default-base-is-moof)', {
      box: 'tfhd',
      offset: tfhdBox.start,
    });
  const fragment: Fragment = { moof, traf, mdat, dataOffsetFields: [], samples: [], protection: [] };
  let next: number | undefined;
  for (const box of parts) {
    if (PROTECTION_BOXES.has(box.type)) fragment.protection.push(box);
    if (box.type !== 'trun') continue;
    const trun = readTrunSamples(new BoxCursor(bytes, 'trun', 0, box.payload, box.end), tfhd.defaultSampleSize ?? trexSampleSize);
    if (trun.dataOffsetAt !== undefined && trun.dataOffset !== undefined) {
      fragment.dataOffsetFields.push(trun.dataOffsetAt);
      next = moof.start + trun.dataOffset;
    }
    if (next === undefined) throw new MediaError('media.unsupported', 'first trun without data_offset', { box: 'trun', offset: box.start });
    for (const size of trun.sizes) {
      if (next < mdat.payload || next + size > mdat.end)
        throw new MediaError('media.malformed', 'sample lies outside the mdat that follows its moof', { box: 'trun', offset: box.start });
      fragment.samples.push({ offset: next, size });
      next += size;
    }
  }
  return fragment;
}

/** Every moof with the mdat after it; other top-level boxes (styp, emsg, prft, free) are left alone. */
export function readFragments(bytes: Uint8Array, trexSampleSize?: number): Fragment[] {
  const fragments: Fragment[] = [];
  let moof: ChildBox | undefined;
  for (const box of childBoxes(bytes, 0, bytes.length, 'segment', 0)) {
    if (box.type === 'sidx')
      throw new MediaError('media.unsupported', 'a sidx in the segment would no longer match the encrypted sizes', {
        box: 'sidx',
        offset: box.start,
      });
    if (box.type === 'moof') {
      if (moof) throw new MediaError('media.malformed', 'moof without mdat', { box: 'moof', offset: moof.start });
      moof = box;
    } else if (box.type === 'mdat') {
      if (!moof) throw new MediaError('media.malformed', 'mdat without moof', { box: 'mdat', offset: box.start });
      fragments.push(readFragment(bytes, moof, box, trexSampleSize));
      moof = undefined;
    }
  }
  if (moof) throw new MediaError('media.truncated', 'last moof has no mdat', { box: 'moof', offset: moof.start });
  return fragments;
}
