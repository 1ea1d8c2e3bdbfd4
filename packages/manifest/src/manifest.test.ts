// Builder rules on fixed indexes (no I/O): segment planning, query parsing, and the conformance
// rules strict players enforce.
import type { AudioTrack, MediaIndex, VideoTrack } from '@vought/media';
import { Parser } from 'm3u8-parser';
import { parse as parseMpd } from 'mpd-parser';
import { describe, expect, it } from 'vitest';
import { fragments } from '../test/fixture-index.ts';
import { buildMpd } from './dash-builder.ts';
import { deliveryUrls, parseDeliveryUrl } from './delivery-urls.ts';
import { buildMediaPlaylist, buildMultivariantPlaylist } from './hls-builder.ts';
import { ManifestError } from './manifest-error.ts';
import type { ManifestKeys } from './manifest-keys.ts';
import { mediaPlaylistQuery, normaliseQuery, parseManifestQuery } from './manifest-query.ts';
import { present } from './presentation.ts';
import { findFragment, planSegments, segmentAt } from './segment-planner.ts';

const video = (id: string, height: number, rate: number): VideoTrack => ({
  id,
  type: 'video',
  file: `v/${height}p.mp4`,
  fileSize: 0,
  codec: 'avc1.64001f',
  sampleEntry: 'avc1',
  language: 'und',
  timescale: 15360,
  duration: 15360 * 20,
  init: { offset: 0, size: 1000 },
  bandwidth: { peak: rate * 1.3, average: rate },
  fragments: fragments(10, 30720, (i) => Math.round((rate / 8) * 2 * (i === 3 ? 1.5 : 1)), 1000, 1).fragments,
  width: Math.round((height * 16) / 9 / 2) * 2,
  height,
  frameRate: { num: 30, den: 1 },
  sar: { h: 1, v: 1 },
  rotation: 0,
});

// Audio fragments of 1024-sample AAC frames do not land exactly on 2 s.
const audio = (id: string, language: string): AudioTrack => ({
  id,
  type: 'audio',
  file: `a/${id}.mp4`,
  fileSize: 0,
  codec: 'mp4a.40.2',
  sampleEntry: 'mp4a',
  language,
  timescale: 48000,
  duration: 96256 * 10,
  init: { offset: 0, size: 700 },
  bandwidth: { peak: 130_000, average: 128_000 },
  fragments: fragments(10, 96256, () => 32_000, 1000, 1).fragments,
  channels: 2,
  sampleRate: 48000,
});

const index: MediaIndex = {
  version: 1,
  videoId: 'x',
  duration: 20,
  tracks: [video('v720', 720, 3_000_000), video('v360', 360, 800_000), audio('a-eng', 'eng'), audio('a-fra', 'fra')],
  text: [{ id: 't-eng', type: 'text', file: 'text/t-eng.vtt', language: 'eng', format: 'webvtt' }],
  createdAt: '2026-11-24T00:00:00.000Z',
};

const q = (text: string) => parseManifestQuery(new URLSearchParams(text));

describe('segment planning', () => {
  it('groups whole fragments greedily from the start fragment alone', () => {
    const track = index.tracks[0] as VideoTrack;
    const four = planSegments(track, 4 * 15360);
    expect(four.map((s) => [s.first, s.last])).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
      [6, 7],
      [8, 9],
    ]);
    // the same URL gives the same segment whatever plan produced it
    expect(segmentAt(track, 2, 4 * 15360)).toEqual(four[1]);
    expect(planSegments(track, 6 * 15360).map((s) => s.last - s.first + 1)).toEqual([3, 3, 3, 1]);
    expect(findFragment(track, 30720 * 7)).toBe(7);
    expect(findFragment(track, 12345)).toBe(-1);
  });

  it('keeps audio segments near video ones although AAC fragments are a little longer than 2 s', () => {
    const track = index.tracks[2] as AudioTrack;
    const segments = planSegments(track, 4 * 48000);
    expect(segments.every((s) => s.last - s.first === 1)).toBe(true);
  });
});

describe('query', () => {
  it('normalises equal queries to one cache key', () => {
    expect(normaliseQuery(q('end=10&start=2.0&segment=4'))).toBe(normaliseQuery(q('start=2&end=10')));
    expect(mediaPlaylistQuery(q('max_height=720&start=2'))).toBe('start=2');
  });

  it.each([
    ['max_height=abc', 'max_height'],
    ['min_height=-1', 'min_height'],
    ['min_height=800&max_height=400', 'min_height'],
    ['start=5&end=5', 'start'],
    ['segment=0.5', 'segment'],
    ['segment=31', 'segment'],
    ['audio=', 'audio'],
    ['audio=en;fr', 'audio'],
    ['addressing=ranges', 'addressing'],
    ['start=1&start=2', 'start'],
    ['encryption=widevine', 'encryption'],
    ['encryption=cenc&addressing=byterange', 'encryption'],
    ['encryption=cenc&encryption=cbcs', 'encryption'],
  ])('refuses %s naming %s', (text, parameter) => {
    try {
      q(text);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ManifestError);
      expect((error as ManifestError).detail.parameter).toBe(parameter);
    }
  });
});

describe('HLS', () => {
  it('writes variants with peak and average bandwidth including the audio group, one DEFAULT per group, CODECS of both', () => {
    const text = buildMultivariantPlaylist(present(index, q('')), { passQuery: '', mediaQuery: '', addressing: 'segments' });
    const parser = new Parser();
    const warnings: string[] = [];
    parser.on('warn', (w: { message: string }) => warnings.push(w.message));
    parser.push(text);
    parser.end();
    expect(warnings).toEqual([]);
    const v720 = parser.manifest.playlists.find(
      (p: { attributes: { RESOLUTION: { height: number } } }) => p.attributes.RESOLUTION.height === 720,
    );
    // 720p peak: fragment 3 is 1.5× — the 4 s segment [2,3] averages 1.25× the rate
    const audioPeak = Math.ceil((2 * 32_000 * 8 * 48000) / (2 * 96256));
    expect(v720.attributes.BANDWIDTH).toBe(Math.ceil(3_000_000 * 1.25) + audioPeak);
    expect(v720.attributes.CODECS).toBe('avc1.64001f,mp4a.40.2');
    expect(text.match(/DEFAULT=YES/g)).toHaveLength(1);
    expect(text).toContain('SUBTITLES="subs"');
    expect(text).toContain('#EXT-X-VERSION:4');
  });

  it('filters languages and heights, and carries the token into every URL', () => {
    const text = buildMultivariantPlaylist(present(index, q('audio=fra&max_height=400')), {
      passQuery: 'token=abc',
      mediaQuery: '',
      addressing: 'segments',
    });
    expect(text).not.toContain('a-eng');
    expect(text).not.toContain('v720');
    for (const line of text.split('\n').filter((l) => l.includes('.m3u8'))) expect(line).toContain('token=abc');
    const media = buildMediaPlaylist(present(index, q('')).video[0]!, { passQuery: 'token=abc', mediaQuery: '', addressing: 'segments' });
    for (const line of media.split('\n').filter((l) => l.includes('.m4s') || l.includes('init.mp4'))) expect(line).toContain('token=abc');
  });
});

describe('DASH', () => {
  it('writes timelines that start at tfdt, without gaps, d=0 or negative times, also when clipped', () => {
    for (const query of ['', 'start=5&end=13', 'start=0.5', 'segment=6']) {
      const text = buildMpd(present(index, q(query)), { passQuery: '' });
      expect(text).not.toMatch(/ d="0"/);
      expect(text).not.toMatch(/t="-/);
      const parsed = parseMpd(text, { manifestUri: 'http://x/v1/videos/x/dash/manifest.mpd' });
      for (const playlist of parsed.playlists) {
        for (let i = 1; i < playlist.segments.length; i++) {
          const prev = playlist.segments[i - 1];
          expect(playlist.segments[i].timeline === prev.timeline).toBe(true);
        }
      }
    }
    const clipped = buildMpd(present(index, q('start=5&end=13')), { passQuery: '' });
    expect(clipped).toContain('presentationTimeOffset="61440"');
    expect(clipped).toContain('<S t="61440"');
  });

  it('puts each audio language in its own AdaptationSet and the subtitles in a text one', () => {
    const text = buildMpd(present(index, q('')), { passQuery: '' });
    expect(text.match(/contentType="audio"/g)).toHaveLength(2);
    expect(text).toContain('lang="fra"');
    expect(text).toContain('mimeType="text/vtt"');
  });
});

describe('encryption', () => {
  const keys = (every: number): ManifestKeys => ({
    periodOf: (i) => Math.floor(i / every),
    kid: (p) => new Uint8Array(16).fill(p + 1),
    pssh: () => [],
    aesIv: (p, _t, _plan, time) => {
      const iv = new Uint8Array(16);
      new DataView(iv.buffer).setUint32(12, time + p);
      return iv;
    },
    licenceUrl: 'https://o.example/v1/videos/x/keys/clearkey',
    keyQuery: 'token=T',
  });

  it('round-trips encrypted object URLs and refuses an encrypted init for AES-128 (its init is clear)', () => {
    const base = 'http://o/v1/videos/x/hls/';
    for (const encryption of [
      { scheme: 'cenc', period: 0 },
      { scheme: 'cbcs', period: 123456789 },
    ] as const) {
      const init = new URL(deliveryUrls.init('v720', encryption), base).pathname;
      expect(parseDeliveryUrl(init)?.resource).toEqual({ kind: 'init', trackId: 'v720', encryption });
    }
    const seg = new URL(deliveryUrls.segment('v720', { targetMs: 4000, endTicks: 99 }, 30720, { scheme: 'aes-128', period: 2 }), base);
    expect(parseDeliveryUrl(seg.pathname)?.resource).toEqual({
      kind: 'segment',
      trackId: 'v720',
      plan: { targetMs: 4000, endTicks: 99 },
      time: 30720,
      encryption: { scheme: 'aes-128', period: 2 },
    });
    expect(deliveryUrls.init('v720', { scheme: 'aes-128', period: 2 })).toBe('../v720/init.mp4');
    for (const bad of ['v720/aes-128-k0/init.mp4', 'v720/cenc-k01/init.mp4', 'v720/cenc-k1234567890/init.mp4', 'v720/ctr-k0/init.mp4'])
      expect(parseDeliveryUrl(`/v1/videos/x/${bad}`), bad).toBeNull();
  });

  it('HLS AES-128: a clear EXT-X-MAP before any key, then a key with its own IV per segment, rotating with the period', () => {
    const sel = present(index, q('segment=2')).video[0];
    if (!sel) throw new Error('no video');
    const text = buildMediaPlaylist(sel, {
      passQuery: '',
      mediaQuery: '',
      addressing: 'segments',
      encryption: { scheme: 'aes-128', keys: keys(3) },
    });
    const parser = new Parser();
    parser.push(text);
    parser.end();
    const segments = parser.manifest.segments as Array<{ uri: string; key?: { method: string; uri: string; iv: Uint32Array } }>;
    expect(segments).toHaveLength(sel.segments.length);
    segments.forEach((s, i) => {
      const period = Math.floor(i / 3);
      expect(s.key?.method).toBe('AES-128');
      expect(s.key?.uri).toBe(`../keys/k${period}?token=T`);
      expect(s.key?.iv[3]).toBe((sel.segments[i]?.time ?? 0) + period);
      expect(s.uri).toBe(`../${sel.track.id}/aes-128-k${period}/s2000/${sel.segments[i]?.time}.m4s`);
    });
    expect(text.indexOf('#EXT-X-MAP:URI="../v720/init.mp4"')).toBeLessThan(text.indexOf('#EXT-X-KEY'));
  });

  it('DASH: one Period per key period with its KID, init and timeline, the Periods covering the presentation without gaps', () => {
    const p = present(index, q('segment=2&start=3'));
    const text = buildMpd(p, { passQuery: '', encryption: { scheme: 'cenc', keys: keys(4) } });
    const parsed = parseMpd(text, { manifestUri: 'http://x/v1/videos/x/dash/manifest.mpd' });
    const video = parsed.playlists.filter((pl: { attributes: { NAME: string } }) => pl.attributes.NAME === 'v720');
    // mpd-parser merges a representation's Periods into one playlist, with a discontinuity per Period
    const segs = video.flatMap((pl: { segments: Array<{ uri: string; presentationTime: number; duration: number }> }) => pl.segments);
    const count = p.video[0]?.segments.length ?? 0;
    expect(segs).toHaveLength(count);
    expect(text.match(/<Period /g)).toHaveLength(Math.ceil(count / 4));
    let at = segs[0]?.presentationTime ?? 0;
    segs.forEach((s: { uri: string; presentationTime: number; duration: number }, i: number) => {
      expect(s.uri).toContain(`/cenc-k${Math.floor(i / 4)}/s2000/`);
      expect(s.presentationTime).toBeCloseTo(at, 3);
      at += s.duration;
    });
    expect(text).toContain('cenc:default_KID="01010101-0101-0101-0101-010101010101"');
    expect(text).toContain('cenc:default_KID="02020202-0202-0202-0202-020202020202"');
    expect(text).toContain('<dashif:Laurl>https://o.example/v1/videos/x/keys/clearkey?token=T</dashif:Laurl>');
  });

  it('offers no I-frame playlists when encrypted (they address the clear file)', () => {
    const p = present(index, q(''));
    const text = buildMultivariantPlaylist(p, {
      passQuery: '',
      mediaQuery: 'encryption=aes-128',
      addressing: 'segments',
      encryption: { scheme: 'aes-128', keys: keys(1) },
    });
    expect(text).not.toContain('I-FRAME');
    expect(text).toContain('v720.m3u8?encryption=aes-128&token=T');
  });
});
