// Indexes one fragmented-MP4 file holding a single track (vought stores one track per file):
// ftyp + moov for the track's description, then every moof by its header, never reading an mdat.
import { BoxCursor, childBoxes, findChild } from './boxes/box-cursor.ts';
import { readHdlr } from './boxes/hdlr.ts';
import { readMdhd } from './boxes/mdhd.ts';
import { readStsd, type SampleEntry } from './boxes/stsd.ts';
import { readTfdt } from './boxes/tfdt.ts';
import { readTfhd } from './boxes/tfhd.ts';
import { readTkhd } from './boxes/tkhd.ts';
import { readTrex, type Trex } from './boxes/trex.ts';
import { isSyncSample, readTrun } from './boxes/trun.ts';
import { ChunkedReader } from './chunked-reader.ts';
import { codecString } from './codec-strings.ts';
import { MediaError } from './media-error.ts';
import type { ByteSource } from './types/byte-source.ts';
import type { AudioTrack, Fragments, MediaTrack, VideoTrack } from './types/media-index.ts';

export interface IndexTrackOptions {
  id: string;
  file: string;
  /** Overrides the mdhd language (the encoder knows the source's BCP 47 tag). */
  language?: string;
  label?: string;
}

/** Bounds: a moov or moof larger than these is refused (memory stays bounded whatever the input). */
const MAX_MOOV = 64 * 1024 * 1024;
const MAX_MOOF = 16 * 1024 * 1024;
const MAX_FRAGMENTS = 2_000_000;

interface TrackDescription {
  type: 'video' | 'audio';
  trackId: number;
  timescale: number;
  language: string;
  width: number;
  height: number;
  rotation: number;
  entry: SampleEntry;
  trex: Trex | undefined;
}

function describeMoov(bytes: Uint8Array, fileOffset: number): TrackDescription {
  const top = childBoxes(bytes, 8, bytes.length, 'moov', fileOffset);
  const traks = top.filter((b) => b.type === 'trak');
  if (traks.length !== 1)
    throw new MediaError('media.unsupported', `expected one track per file, found ${traks.length}`, { box: 'moov', offset: fileOffset });
  const trak = traks[0]!;
  const trakChildren = childBoxes(bytes, trak.payload, trak.end, 'trak', fileOffset, 1);
  const tkhdBox = findChild(trakChildren, 'tkhd');
  const mdia = findChild(trakChildren, 'mdia');
  if (!tkhdBox || !mdia)
    throw new MediaError('media.malformed', 'trak without tkhd or mdia', { box: 'trak', offset: fileOffset + trak.start });
  const tkhd = readTkhd(new BoxCursor(bytes, 'tkhd', fileOffset, tkhdBox.payload, tkhdBox.end));
  const mdiaChildren = childBoxes(bytes, mdia.payload, mdia.end, 'mdia', fileOffset, 2);
  const mdhdBox = findChild(mdiaChildren, 'mdhd');
  const hdlrBox = findChild(mdiaChildren, 'hdlr');
  const minf = findChild(mdiaChildren, 'minf');
  if (!mdhdBox || !hdlrBox || !minf)
    throw new MediaError('media.malformed', 'mdia without mdhd, hdlr or minf', { box: 'mdia', offset: fileOffset + mdia.start });
  const mdhd = readMdhd(new BoxCursor(bytes, 'mdhd', fileOffset, mdhdBox.payload, mdhdBox.end));
  const handler = readHdlr(new BoxCursor(bytes, 'hdlr', fileOffset, hdlrBox.payload, hdlrBox.end));
  const stbl = findChild(childBoxes(bytes, minf.payload, minf.end, 'minf', fileOffset, 3), 'stbl');
  const stsdBox = stbl && findChild(childBoxes(bytes, stbl.payload, stbl.end, 'stbl', fileOffset, 4), 'stsd');
  if (!stsdBox) throw new MediaError('media.malformed', 'track without stsd', { box: 'stbl', offset: fileOffset + minf.start });
  const entry = readStsd(bytes, stsdBox.payload, stsdBox.end, fileOffset);
  const type = handler === 'vide' ? 'video' : handler === 'soun' ? 'audio' : null;
  if (!type || entry.kind !== type)
    throw new MediaError('media.unsupported', `track handler ${handler} with ${entry.fourcc} is not audio or video`, {
      box: 'hdlr',
      offset: fileOffset + hdlrBox.start,
    });
  let trex: Trex | undefined;
  const mvex = findChild(top, 'mvex');
  if (mvex) {
    for (const box of childBoxes(bytes, mvex.payload, mvex.end, 'mvex', fileOffset, 1)) {
      if (box.type !== 'trex') continue;
      const t = readTrex(new BoxCursor(bytes, 'trex', fileOffset, box.payload, box.end));
      if (t.trackId === tkhd.trackId) trex = t;
    }
  }
  return {
    type,
    trackId: tkhd.trackId,
    timescale: mdhd.timescale,
    language: mdhd.language,
    width: tkhd.width || entry.width,
    height: tkhd.height || entry.height,
    rotation: tkhd.rotation,
    entry,
    trex,
  };
}

interface FragmentInfo {
  time: number;
  duration: number;
  keyframe: boolean;
  /** moof offset + data offset + first sample size, absolute in the file. */
  firstSampleEnd: number;
  durations: Map<number, number>;
}

function describeMoof(bytes: Uint8Array, moofOffset: number, track: TrackDescription): FragmentInfo {
  const children = childBoxes(bytes, 8, bytes.length, 'moof', moofOffset);
  const trafs = children.filter((b) => b.type === 'traf');
  if (trafs.length !== 1)
    throw new MediaError('media.unsupported', `expected one traf per moof, found ${trafs.length}`, { box: 'moof', offset: moofOffset });
  const traf = trafs[0]!;
  const parts = childBoxes(bytes, traf.payload, traf.end, 'traf', moofOffset, 1);
  const tfhdBox = findChild(parts, 'tfhd');
  if (!tfhdBox) throw new MediaError('media.malformed', 'traf without tfhd', { box: 'traf', offset: moofOffset + traf.start });
  const tfhd = readTfhd(new BoxCursor(bytes, 'tfhd', moofOffset, tfhdBox.payload, tfhdBox.end));
  const tfdtBox = findChild(parts, 'tfdt');
  if (!tfdtBox)
    throw new MediaError('media.malformed', 'traf without tfdt (decode time is needed to index)', {
      box: 'traf',
      offset: moofOffset + traf.start,
    });
  const time = readTfdt(new BoxCursor(bytes, 'tfdt', moofOffset, tfdtBox.payload, tfdtBox.end));
  const defaults = {
    duration: tfhd.defaultSampleDuration ?? track.trex?.defaultSampleDuration ?? 0,
    size: tfhd.defaultSampleSize ?? track.trex?.defaultSampleSize ?? 0,
    flags: tfhd.defaultSampleFlags ?? track.trex?.defaultSampleFlags ?? 0,
  };
  let duration = 0;
  let keyframe = false;
  let firstSampleEnd = 0;
  const durations = new Map<number, number>();
  let first = true;
  for (const box of parts) {
    if (box.type !== 'trun') continue;
    const trun = readTrun(new BoxCursor(bytes, 'trun', moofOffset, box.payload, box.end), defaults);
    if (first && trun.sampleCount > 0) {
      keyframe = isSyncSample(trun.firstSampleFlags);
      // §8.8.7.1: without base_data_offset, data offsets are relative to the enclosing moof.
      const base = tfhd.baseDataOffset ?? moofOffset;
      firstSampleEnd = base + (trun.dataOffset ?? 0) + trun.firstSampleSize;
      first = false;
    }
    duration += trun.duration;
    for (const [d, n] of trun.durations) durations.set(d, (durations.get(d) ?? 0) + n);
  }
  if (duration === 0) throw new MediaError('media.malformed', 'fragment with no duration', { box: 'moof', offset: moofOffset });
  return { time, duration, keyframe, firstSampleEnd, durations };
}

/** 30000/1001 and friends from a sample duration. */
function frameRate(timescale: number, durations: Map<number, number>): { num: number; den: number } {
  let mode = 0;
  let most = 0;
  for (const [d, n] of durations) {
    if (n > most && d > 0) {
      mode = d;
      most = n;
    }
  }
  if (!mode) return { num: 0, den: 1 };
  const fps = timescale / mode;
  for (const den of [1, 1001]) {
    const num = Math.round(fps * den);
    if (den === 1001 && num % 1000 !== 0) continue;
    if (Math.abs(num / den - fps) < 0.0005 * fps) return den === 1001 ? { num, den } : { num, den: 1 };
  }
  return { num: timescale, den: mode };
}

export async function indexTrack(source: ByteSource, options: IndexTrackOptions): Promise<MediaTrack> {
  const reader = new ChunkedReader(source);
  let pos = 0;
  let moovEnd = -1;
  let track: TrackDescription | undefined;
  let sidx: { offset: number; size: number } | undefined;
  let pendingStyp = -1;
  let openFragment: { start: number; info: FragmentInfo } | undefined;
  const fragments: Fragments = { time: [], duration: [], offset: [], size: [], keyframe: [] };
  const iframeSize: number[] = [];
  const durations = new Map<number, number>();
  let sawFtyp = false;

  while (pos < reader.size) {
    if (reader.size - pos < 8) throw new MediaError('media.truncated', 'trailing bytes shorter than a box header', { offset: pos });
    const head = await reader.read(pos, Math.min(16, reader.size - pos), 'header');
    const c = new BoxCursor(head, 'header', pos);
    let size = c.u32();
    const type = c.fourcc();
    let header = 8;
    if (size === 1) {
      size = c.u64();
      header = 16;
    } else if (size === 0) {
      size = reader.size - pos;
    }
    if (size < header) throw new MediaError('media.malformed', `box size ${size} smaller than its header`, { box: type, offset: pos });
    if (pos + size > reader.size)
      throw new MediaError('media.truncated', `box of ${size} bytes runs past the end of the file (${reader.size})`, {
        box: type,
        offset: pos,
      });
    if (!sawFtyp && type !== 'ftyp' && type !== 'styp')
      throw new MediaError('media.malformed', 'not an ISO-BMFF file: it does not start with ftyp', { box: type, offset: pos });
    sawFtyp = true;
    switch (type) {
      case 'moov': {
        if (size > MAX_MOOV)
          throw new MediaError('media.limit', `moov of ${size} bytes is larger than ${MAX_MOOV}`, { box: type, offset: pos });
        track = describeMoov(await reader.read(pos, size, 'moov'), pos);
        moovEnd = pos + size;
        break;
      }
      case 'sidx':
        sidx = { offset: pos, size };
        break;
      case 'styp':
        pendingStyp = pos;
        break;
      case 'moof': {
        if (!track) throw new MediaError('media.malformed', 'moof before moov', { box: type, offset: pos });
        if (openFragment) throw new MediaError('media.malformed', 'moof without mdat', { box: 'moof', offset: openFragment.start });
        if (size > MAX_MOOF)
          throw new MediaError('media.limit', `moof of ${size} bytes is larger than ${MAX_MOOF}`, { box: type, offset: pos });
        const info = describeMoof(await reader.read(pos, size, 'moof'), pos, track);
        openFragment = { start: pendingStyp >= 0 ? pendingStyp : pos, info };
        pendingStyp = -1;
        break;
      }
      case 'mdat': {
        if (openFragment) {
          const { start, info } = openFragment;
          const end = pos + size;
          if (fragments.time.length >= MAX_FRAGMENTS)
            throw new MediaError('media.limit', 'too many fragments', { box: 'moof', offset: start });
          fragments.time.push(info.time);
          fragments.duration.push(info.duration);
          fragments.offset.push(start);
          fragments.size.push(end - start);
          fragments.keyframe.push(info.keyframe ? 1 : 0);
          if (info.firstSampleEnd > end || info.firstSampleEnd <= start) {
            throw new MediaError('media.malformed', 'first sample lies outside its fragment', { box: 'trun', offset: start });
          }
          iframeSize.push(info.firstSampleEnd - start);
          for (const [d, n] of info.durations) durations.set(d, (durations.get(d) ?? 0) + n);
          openFragment = undefined;
        }
        break;
      }
      default:
        break; // ftyp, free, skip, mfra, udta, emsg, prft: not needed to index
    }
    pos += size;
  }
  if (!track) throw new MediaError('media.malformed', 'no moov box', { offset: 0 });
  if (openFragment) throw new MediaError('media.truncated', 'last moof has no mdat', { box: 'moof', offset: openFragment.start });
  if (fragments.time.length === 0)
    throw new MediaError('media.unsupported', 'not a fragmented MP4: no moof/mdat fragments', { box: 'moov', offset: 0 });

  const totalDuration = fragments.duration.reduce((a, b) => a + b, 0);
  const totalBytes = fragments.size.reduce((a, b) => a + b, 0);
  let peak = 0;
  for (let i = 0; i < fragments.time.length; i++) {
    const seconds = (fragments.duration[i] ?? 0) / track.timescale;
    if (seconds > 0) peak = Math.max(peak, ((fragments.size[i] ?? 0) * 8) / seconds);
  }
  const base = {
    id: options.id,
    file: options.file,
    fileSize: reader.size,
    codec: codecString(track.entry),
    sampleEntry: track.entry.fourcc,
    language: options.language ?? track.language,
    timescale: track.timescale,
    duration: totalDuration,
    init: { offset: 0, size: moovEnd },
    ...(sidx ? { sidx } : {}),
    bandwidth: { peak: Math.round(peak), average: Math.round((totalBytes * 8) / (totalDuration / track.timescale)) },
  };
  if (track.type === 'video') {
    let sar = { h: 1, v: 1 };
    const pasp = track.entry.boxes.get('pasp');
    if (pasp && pasp.length >= 8) {
      const c = new BoxCursor(pasp, 'pasp', 0);
      const h = c.u32();
      const v = c.u32();
      if (h > 0 && v > 0) sar = { h, v };
    }
    const video: VideoTrack = {
      ...base,
      type: 'video',
      fragments: { ...fragments, iframeSize },
      width: track.width,
      height: track.height,
      frameRate: frameRate(track.timescale, durations),
      sar,
      rotation: track.rotation,
    };
    return video;
  }
  const audio: AudioTrack = {
    ...base,
    type: 'audio',
    fragments,
    channels: track.entry.channels,
    sampleRate: track.entry.sampleRate || track.timescale,
    ...(options.label ? { label: options.label } : {}),
  };
  return audio;
}
