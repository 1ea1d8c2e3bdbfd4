// The shape of what encryptInit and encryptSegment write, on files made by ffmpeg (the decoder
// proof is decrypt-with-ffmpeg.test.ts) and on hand-made fragments for the edge cases.
import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BoxCursor, type ChildBox, childBoxes, findChild } from '../../src/boxes/box-cursor.ts';
import { BoxWriter } from '../../src/boxes/box-writer.ts';
import { parseSaioBox } from '../../src/boxes/saio.ts';
import { parseSaizBox } from '../../src/boxes/saiz.ts';
import { sencEntrySize } from '../../src/boxes/senc.ts';
import {
  bufferSource,
  encryptInit,
  encryptSegment,
  indexTrack,
  MediaError,
  parsePsshBox,
  parseSencBox,
  parseSinfBox,
  type Scheme,
  segmentTargetOf,
  writePssh,
} from '../../src/index.ts';
import { hasFfmpeg, makeAudio, makeVideo, tempDir } from '../ffmpeg-fixtures.ts';

const ffmpeg = await hasFfmpeg();
if (!ffmpeg && process.env.CI === 'true') throw new Error('ffmpeg is required for the media tests in CI');

const kid = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
const key = Uint8Array.from({ length: 16 }, (_, i) => 0xf0 - i);
const constantIv = Uint8Array.from({ length: 16 }, (_, i) => 0x30 + i);
const iv = Uint8Array.from([9, 8, 7, 6, 5, 4, 3, 2]);
const pssh = writePssh({ systemId: Uint8Array.from({ length: 16 }, () => 0xed), kids: [kid], data: Uint8Array.from([1, 2, 3]) });

/** Follows a path of box types from the top of `bytes`; sample entries are entered past their fixed fields. */
function at(bytes: Uint8Array, ...types: string[]): ChildBox {
  let box: ChildBox | undefined;
  let start = 0;
  let end = bytes.length;
  for (const type of types) {
    box = findChild(childBoxes(bytes, start, end, 'test', 0), type);
    if (!box) throw new Error(`no ${type}`);
    start = box.payload + (type === 'stsd' ? 8 : type === 'encv' ? 78 : type === 'enca' ? 28 : 0);
    end = box.end;
  }
  return box!;
}

const STBL = ['moov', 'trak', 'mdia', 'minf', 'stbl'];

async function split(file: string) {
  const bytes = new Uint8Array(await fs.readFile(file));
  const track = await indexTrack(bufferSource(bytes), { id: 't', file });
  const f = track.fragments;
  return {
    init: bytes.subarray(0, track.init.size),
    fragments: f.offset.map((o, i) => bytes.subarray(o, o + (f.size[i] ?? 0))),
  };
}

describe.skipIf(!ffmpeg)('encryptInit and encryptSegment on ffmpeg fragmented MP4', { timeout: 60_000 }, () => {
  let dir: string;
  let video: Awaited<ReturnType<typeof split>>;
  let audio: Awaited<ReturnType<typeof split>>;

  beforeAll(async () => {
    dir = await tempDir();
    video = await split(await makeVideo(dir, 'v.mp4', [], { seconds: 4 }));
    audio = await split(await makeAudio(dir, 'a.mp4'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  for (const scheme of ['cenc', 'cbcs'] as const) {
    it(`${scheme}: avc1 becomes encv with frma/schm/schi(tenc) last in the entry; every enclosing size grows; pssh ends moov`, () => {
      const enc = encryptInit(video.init, { scheme, kid, constantIv, pssh: [pssh] });
      const entry = at(enc, ...STBL, 'stsd', 'encv');
      const sinf = at(enc, ...STBL, 'stsd', 'encv', 'sinf');
      expect(sinf.end).toBe(entry.end);
      const parsed = parseSinfBox(enc.subarray(sinf.start, sinf.end));
      expect(parsed.originalFormat).toBe('avc1');
      expect(parsed.scheme).toEqual({ schemeType: scheme, schemeVersion: 0x10000 });
      expect(parsed.schi.tenc).toMatchObject(
        scheme === 'cenc'
          ? { version: 0, perSampleIvSize: 8, isProtected: true, kid }
          : { version: 1, cryptByteBlock: 1, skipByteBlock: 9, perSampleIvSize: 0, constantIv, kid },
      );
      const grown = sinf.end - sinf.start + pssh.length;
      expect(enc.length).toBe(video.init.length + grown);
      const moov = at(enc, 'moov');
      expect(moov.end).toBe(enc.length);
      const last = childBoxes(enc, moov.payload, moov.end, 'moov', 0).at(-1)!;
      expect(last.type).toBe('pssh');
      expect(parsePsshBox(enc.subarray(last.start, last.end)).kids).toEqual([kid]);
      // Boxes that were not touched are byte-identical (ftyp, mvhd, tkhd, avcC).
      expect(enc.subarray(0, at(enc, 'moov').start)).toEqual(video.init.subarray(0, at(video.init, 'moov').start));
      // The protected init still tells encryptSegment what it needs.
      expect(segmentTargetOf(enc)).toEqual(segmentTargetOf(video.init));
      expect(() => encryptInit(enc, { scheme, kid, constantIv, pssh: [] })).toThrow(/already encrypted/);
    });
  }

  it('cbcs audio: mp4a becomes enca with tenc version 1, pattern 0:0 and the constant IV', () => {
    const enc = encryptInit(audio.init, { scheme: 'cbcs', kid, constantIv, pssh: [] });
    const sinf = at(enc, ...STBL, 'stsd', 'enca', 'sinf');
    const parsed = parseSinfBox(enc.subarray(sinf.start, sinf.end));
    expect(parsed.originalFormat).toBe('mp4a');
    expect(parsed.schi.tenc).toMatchObject({ version: 1, cryptByteBlock: 0, skipByteBlock: 0, constantIv });
    expect(() => encryptInit(audio.init, { scheme: 'cbcs', kid, pssh: [] })).toThrow(/constant IV/);
  });

  for (const scheme of ['cenc', 'cbcs'] as const) {
    it(`${scheme} video: saiz/saio/senc end the traf, saio points at senc's first entry, data_offset still points at the samples`, () => {
      const target = segmentTargetOf(video.init);
      const clear = video.fragments[0]!;
      const enc = encryptSegment(clear, { ...target, scheme, key, iv, constantIv });
      const moof = at(enc, 'moof');
      const traf = at(enc, 'moof', 'traf');
      const parts = childBoxes(enc, traf.payload, traf.end, 'traf', 0);
      expect(parts.slice(-3).map((b) => b.type)).toEqual(['saiz', 'saio', 'senc']);
      const [saizBox, saioBox, sencBox] = parts.slice(-3) as [ChildBox, ChildBox, ChildBox];
      const senc = parseSencBox(enc.subarray(sencBox.start, sencBox.end), scheme === 'cenc' ? 8 : 0);
      const saiz = parseSaizBox(enc.subarray(saizBox.start, saizBox.end));
      const saio = parseSaioBox(enc.subarray(saioBox.start, saioBox.end));
      expect(saiz.sizes).toEqual(senc.samples.map(sencEntrySize));
      expect(saio.offsets).toEqual([sencBox.start - moof.start + 16]);
      expect(senc.samples.length).toBe(saiz.sizes.length);
      if (scheme === 'cenc') expect(Buffer.from(senc.samples[1]!.iv).toString('hex')).toBe('0908070605040303');
      else expect(senc.samples.every((s) => s.iv.length === 0)).toBe(true);
      // The moof grew by the three boxes; the mdat did not move relative to the moof's end, nor change size.
      const added = saizBox.end - saizBox.start + (saioBox.end - saioBox.start) + (sencBox.end - sencBox.start);
      expect(enc.length).toBe(clear.length + added);
      const mdat = at(enc, 'mdat');
      expect(mdat.end - mdat.start).toBe(at(clear, 'mdat').end - at(clear, 'mdat').start);
      const trun = findChild(parts, 'trun')!;
      const dataOffset = new BoxCursor(enc, 'trun', 0, trun.payload + 8).i32();
      expect(moof.start + dataOffset).toBe(mdat.payload);
      // The first sample's subsamples cover it exactly, and its protected bytes changed.
      const first = senc.samples[0]!.subsamples!;
      const clearMdat = at(clear, 'mdat');
      const firstSize = first.reduce((n, s) => n + s.clear + s.protected, 0);
      expect(enc.subarray(mdat.payload, mdat.payload + first[0]!.clear)).toEqual(
        clear.subarray(clearMdat.payload, clearMdat.payload + first[0]!.clear),
      );
      expect(enc.subarray(mdat.payload, mdat.payload + firstSize)).not.toEqual(
        clear.subarray(clearMdat.payload, clearMdat.payload + firstSize),
      );
      expect(() => encryptSegment(enc, { ...target, scheme, key, iv, constantIv })).toThrow(/already encrypted/);
    });
  }

  it('cbcs audio: a senc with empty entries and no saiz/saio (constant IV, whole samples)', () => {
    const target = segmentTargetOf(audio.init);
    const clear = audio.fragments[0]!;
    const enc = encryptSegment(clear, { ...target, scheme: 'cbcs', key, constantIv });
    const traf = at(enc, 'moof', 'traf');
    expect(childBoxes(enc, traf.payload, traf.end, 'traf', 0).map((b) => b.type)).toEqual(['tfhd', 'tfdt', 'trun', 'senc']);
    const mdat = at(enc, 'mdat');
    expect(enc.subarray(mdat.payload + 16, mdat.payload + 32)).not.toEqual(
      clear.subarray(at(clear, 'mdat').payload + 16, at(clear, 'mdat').payload + 32),
    );
  });

  it('cenc audio: whole-sample CTR with 8-byte IVs, no subsample flag', () => {
    const target = segmentTargetOf(audio.init);
    const enc = encryptSegment(audio.fragments[0]!, { ...target, scheme: 'cenc', key, iv });
    const senc = at(enc, 'moof', 'traf', 'senc');
    expect(enc[senc.payload + 3]).toBe(0); // flags
    expect(parseSencBox(enc.subarray(senc.start, senc.end), 8).samples.every((s) => s.subsamples === undefined && s.iv.length === 8)).toBe(
      true,
    );
  });
});

/** A hand-made fragment: moof(mfhd, traf(tfhd, trun)) + mdat of `samples`. */
function fragment(samples: Uint8Array[], options: { trunSizes: boolean; tfhdSize?: number }): Uint8Array {
  const w = new BoxWriter();
  let dataOffsetAt = 0;
  w.box('moof', (m) => {
    m.fullBox('mfhd', 0, 0, (b) => b.u32(1));
    m.box('traf', (t) => {
      t.fullBox('tfhd', 0, 0x020000 | (options.tfhdSize !== undefined ? 0x10 : 0), (b) => {
        b.u32(1);
        if (options.tfhdSize !== undefined) b.u32(options.tfhdSize);
      });
      t.fullBox('trun', 0, 0x001 | (options.trunSizes ? 0x200 : 0), (b) => {
        b.u32(samples.length);
        dataOffsetAt = b.pos;
        b.u32(0);
        if (options.trunSizes) for (const s of samples) b.u32(s.length);
      });
    });
  });
  const moofSize = w.pos;
  w.box('mdat', (b) => {
    for (const s of samples) b.bytes(s);
  });
  const out = w.finish();
  new DataView(out.buffer).setUint32(dataOffsetAt, moofSize + 8);
  return out;
}

describe('encryptSegment on hand-made fragments', () => {
  const nal = (type: number, size: number) => {
    const s = new Uint8Array(4 + size);
    new DataView(s.buffer).setUint32(0, size);
    s[4] = type;
    for (let i = 5; i < s.length; i++) s[i] = i & 0xff;
    return s;
  };
  const samples = [nal(0x65, 300), nal(0x41, 100)];
  const opts = (scheme: Scheme) => ({ scheme, key, iv, constantIv, codec: 'avc' as const, nalLengthSize: 4 });

  it('sizes from tfhd default_sample_size, or trex (passed in) when the trun has none; else a MediaError', () => {
    const same = [nal(0x65, 100), nal(0x41, 100)];
    expect(() => encryptSegment(fragment(same, { trunSizes: false, tfhdSize: 104 }), opts('cenc'))).not.toThrow();
    const bare = fragment(same, { trunSizes: false });
    expect(() => encryptSegment(bare, { ...opts('cenc'), defaultSampleSize: 104 })).not.toThrow();
    const err = (() => {
      try {
        encryptSegment(bare, opts('cenc'));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(MediaError);
    expect((err as MediaError).code).toBe('media.unsupported');
  });

  it('several moof/mdat pairs in one segment: per-sample IVs run on across them', () => {
    const two = Buffer.concat([fragment(samples, { trunSizes: true }), fragment(samples, { trunSizes: true })]);
    const enc = encryptSegment(two, opts('cenc'));
    const ivs = childBoxes(enc, 0, enc.length, 'segment', 0)
      .filter((b) => b.type === 'moof')
      .flatMap((moof) => {
        const senc = at(enc.subarray(moof.start, moof.end), 'moof', 'traf', 'senc');
        return parseSencBox(enc.subarray(moof.start + senc.start, moof.start + senc.end), 8).samples.map((s) =>
          Buffer.from(s.iv).toString('hex'),
        );
      });
    expect(ivs).toEqual(['0908070605040302', '0908070605040303', '0908070605040304', '0908070605040305']);
  });

  it('refuses a sidx (its sizes would no longer match), a cbcs key without a constant IV, a cenc key without an IV', () => {
    const sidx = new BoxWriter().fullBox('sidx', 1, 0, (b) => b.bytes(new Uint8Array(28))).finish();
    expect(() => encryptSegment(Buffer.concat([sidx, fragment(samples, { trunSizes: true })]), opts('cenc'))).toThrow(/sidx/);
    expect(() => encryptSegment(fragment(samples, { trunSizes: true }), { ...opts('cbcs'), constantIv: new Uint8Array(8) })).toThrow(
      /constant IV/,
    );
    const { iv: _iv, ...noIv } = opts('cenc');
    expect(() => encryptSegment(fragment(samples, { trunSizes: true }), noIv)).toThrow(/IV/);
  });

  it('refuses a sample that lies outside its mdat, and a moof without mdat', () => {
    const f = fragment(samples, { trunSizes: true });
    const bad = f.slice();
    const trunCount = at(bad, 'moof', 'traf', 'trun').payload + 4;
    new DataView(bad.buffer).setUint32(trunCount, 3); // count 3 with only two sizes: the count check, or the mdat check, fails
    expect(() => encryptSegment(bad, opts('cbcs'))).toThrow(MediaError);
    expect(() => encryptSegment(f.subarray(0, at(f, 'moof').end), opts('cbcs'))).toThrow(/mdat/);
  });
});
