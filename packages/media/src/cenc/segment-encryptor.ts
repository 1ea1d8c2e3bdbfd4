// Encrypts the samples of a media segment (ISO/IEC 23001-7) and adds, to each traf, the senc box
// with each sample's IV and subsample map (§7.2) and the saiz/saio boxes that point at those
// entries as sample auxiliary information (§7.1; ISO/IEC 14496-12 §8.7.8/§8.7.9, offsets from the
// moof's start). The moof grows by those boxes, so each trun data_offset grows by as much. Sizes of
// samples and of the mdat do not change. decryptSegment is the exact inverse.
import { BoxCursor } from '../boxes/box-cursor.ts';
import { writeSaio } from '../boxes/saio.ts';
import { writeSaiz } from '../boxes/saiz.ts';
import { readSenc, type SampleEncryption, SENC_FIRST_ENTRY, sencEntrySize, writeSenc } from '../boxes/senc.ts';
import { MediaError } from '../media-error.ts';
import { type BoxEdit, concatBytes, shiftedOffset, spliceBoxes } from './box-splice.ts';
import { type Fragment, readFragments } from './fragments.ts';
import type { SegmentTarget } from './init-tracks.ts';
import { addToIv } from './iv.ts';
import { CENC_IV_SIZE, checkConstantIv, patternFor } from './protection.ts';
import { cryptSample, type SampleKey } from './sample-cipher.ts';
import { type Scheme, videoSubsamples } from './subsamples.ts';

export interface SegmentKey extends SegmentTarget {
  scheme: Scheme;
  key: Uint8Array;
  /** cenc: the 8-byte IV of the segment's first sample; sample n uses iv + n (see fragmentIv). */
  iv?: Uint8Array;
  /** cbcs: the 16-byte constant IV written in the init segment's tenc. */
  constantIv?: Uint8Array;
}

/** saiz + saio + senc for a traf whose end lies `trafEnd` bytes after the moof's start. */
function auxiliaryBoxes(entries: SampleEncryption[], trafEnd: number): Uint8Array {
  const senc = writeSenc({ samples: entries });
  const sizes = entries.map(sencEntrySize);
  if (sizes.every((n) => n === 0)) return senc; // nothing for saiz/saio to point at (cbcs audio: constant IV, whole samples)
  if (sizes.some((n) => n > 255)) throw new MediaError('media.limit', 'a sample has too many subsamples for saiz (255 bytes)');
  const saiz = writeSaiz({ sizes });
  const saioSize = writeSaio({ offsets: [0] }).length;
  const saio = writeSaio({ offsets: [trafEnd + saiz.length + saioSize + SENC_FIRST_ENTRY] });
  return concatBytes([saiz, saio, senc]);
}

function sampleKey(options: SegmentKey, iv: Uint8Array): SampleKey {
  return { scheme: options.scheme, key: options.key, iv, pattern: patternFor(options.scheme, options.codec === 'aac' ? 'audio' : 'video') };
}

function fixDataOffsets(out: Uint8Array, edits: BoxEdit[], fields: number[], delta: number): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (const field of fields) {
    const at = shiftedOffset(edits, field);
    view.setInt32(at, view.getInt32(at) + delta);
  }
}

function describeSample(options: SegmentKey, sample: Uint8Array, n: number): SampleEncryption {
  const entry: SampleEncryption = { iv: new Uint8Array(0) };
  if (options.scheme === 'cenc') {
    if (!options.iv) throw new MediaError('media.malformed', 'cenc needs an 8-byte IV for the segment');
    entry.iv = addToIv(options.iv, n);
  }
  if (options.codec !== 'aac') entry.subsamples = videoSubsamples(sample, options.nalLengthSize, options.codec, options.scheme);
  return entry;
}

export function encryptSegment(segment: Uint8Array, options: SegmentKey): Uint8Array {
  const constantIv = checkConstantIv(options.scheme, options.constantIv);
  const fragments = readFragments(segment, options.defaultSampleSize);
  const edits: BoxEdit[] = [];
  const plans: Array<{ fragment: Fragment; entries: SampleEncryption[]; added: number }> = [];
  let n = 0;
  for (const fragment of fragments) {
    if (fragment.protection.length > 0)
      throw new MediaError('media.unsupported', 'the fragment is already encrypted', { box: 'traf', offset: fragment.traf.start });
    const entries = fragment.samples.map((s) => describeSample(options, segment.subarray(s.offset, s.offset + s.size), n++));
    const insert = auxiliaryBoxes(entries, fragment.traf.end - fragment.moof.start);
    edits.push({ at: fragment.traf.end, remove: 0, insert, enclosing: [fragment.moof.start, fragment.traf.start] });
    plans.push({ fragment, entries, added: insert.length });
  }
  const out = spliceBoxes(segment, edits);
  for (const { fragment, entries, added } of plans) {
    fixDataOffsets(out, edits, fragment.dataOffsetFields, added);
    fragment.samples.forEach((s, i) => {
      const entry = entries[i]!;
      const at = shiftedOffset(edits, s.offset);
      cryptSample(out.subarray(at, at + s.size), entry.subsamples, sampleKey(options, constantIv ?? entry.iv), 'encrypt');
    });
  }
  return out;
}

/** The inverse of encryptSegment: decrypts the samples and removes senc, saiz and saio. */
export function decryptSegment(segment: Uint8Array, options: SegmentKey): Uint8Array {
  const constantIv = checkConstantIv(options.scheme, options.constantIv);
  const fragments = readFragments(segment, options.defaultSampleSize);
  const edits: BoxEdit[] = [];
  const plans: Array<{ fragment: Fragment; entries: SampleEncryption[]; removed: number }> = [];
  for (const fragment of fragments) {
    const senc = fragment.protection.find((b) => b.type === 'senc');
    if (!senc) throw new MediaError('media.malformed', 'encrypted fragment without senc', { box: 'traf', offset: fragment.traf.start });
    const { samples } = readSenc(new BoxCursor(segment, 'senc', 0, senc.payload, senc.end), options.scheme === 'cenc' ? CENC_IV_SIZE : 0);
    if (samples.length !== fragment.samples.length)
      throw new MediaError('media.malformed', `senc has ${samples.length} entries for ${fragment.samples.length} samples`, {
        box: 'senc',
        offset: senc.start,
      });
    let removed = 0;
    for (const box of fragment.protection) {
      edits.push({
        at: box.start,
        remove: box.end - box.start,
        insert: new Uint8Array(0),
        enclosing: [fragment.moof.start, fragment.traf.start],
      });
      removed += box.end - box.start;
    }
    plans.push({ fragment, entries: samples, removed });
  }
  const out = spliceBoxes(segment, edits);
  for (const { fragment, entries, removed } of plans) {
    fixDataOffsets(out, edits, fragment.dataOffsetFields, -removed);
    fragment.samples.forEach((s, i) => {
      const entry = entries[i]!;
      const at = shiftedOffset(edits, s.offset);
      cryptSample(out.subarray(at, at + s.size), entry.subsamples, sampleKey(options, constantIv ?? entry.iv), 'decrypt');
    });
  }
  return out;
}
