// Every URL serves exactly what its manifest says (issue "Delivery engine"): for every manifest
// variant (HLS multivariant, media, I-frame and byte-range playlists; DASH live and on-demand;
// plain, filtered, clipped at aligned and unaligned times, several segment durations), every
// segment URL is fetched and its real duration, read back from its bytes by our own indexer (and by
// ffprobe on samples), must equal what the manifest declares within one frame; clipped totals
// match the clip within one fragment.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { bufferSource, indexTrack, parseSidxBox } from '@vought/media';
import { Parser as M3u8Parser } from 'm3u8-parser';
import { parse as parseMpd } from 'mpd-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasTool, makeReadyVideo, startTestOrigin, type TestOrigin } from './harness.ts';

const run = promisify(execFile);
const ffmpeg = await hasTool('ffmpeg');
if (!ffmpeg && process.env.CI === 'true') throw new Error('ffmpeg is required for the delivery tests in CI');

/** One video frame at 30 fps, plus the 1 ms rounding of EXTINF. */
const FRAME = 1 / 30 + 0.001;
/** Encoder keyframes every 2 s: a clip snaps to fragments at most this far from what was asked. */
const FRAGMENT = 2;

const VARIANTS = [
  '',
  'segment=1',
  'segment=2',
  'segment=3.5',
  'segment=6',
  'segment=30',
  'start=4&end=10',
  'start=3.3&end=9.7',
  'end=10&segment=4',
  'start=5',
  'max_height=240&start=2.5&end=11&segment=6',
  'audio=und&end=7.5',
];

interface Declared {
  uri: string;
  duration: number;
  range?: { offset: number; length: number };
  init: string;
  initRange?: { offset: number; length: number };
}

describe.skipIf(!ffmpeg)('every URL serves exactly what its manifest declares', { timeout: 300_000 }, () => {
  let t: TestOrigin;
  let base: string;
  const bodies = new Map<string, Promise<Buffer>>();
  let ffprobed = 0;
  let seen = 0;
  const scratch = path.join(os.tmpdir(), `vought-exact-${process.pid}`);

  beforeAll(async () => {
    t = await startTestOrigin({ VOUGHT_RATE_LIMIT: '0' });
    const id = await makeReadyVideo(t, { seconds: 13 }); // 13 s: the last fragment is short
    base = `${t.url}/v1/videos/${id}`;
    await fs.mkdir(scratch, { recursive: true });
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    await fs.rm(scratch, { recursive: true, force: true });
  });

  async function bytes(url: string, range?: { offset: number; length: number }): Promise<Buffer> {
    const key = `${url}#${range?.offset}-${range?.length}`;
    let body = bodies.get(key);
    if (!body) {
      body = (async () => {
        const headers: Record<string, string> = range ? { range: `bytes=${range.offset}-${range.offset + range.length - 1}` } : {};
        const res = await fetch(url, { headers });
        expect(res.status, url).toBe(range ? 206 : 200);
        return Buffer.from(await res.arrayBuffer());
      })();
      bodies.set(key, body);
    }
    return body;
  }

  /** Real duration of a segment: its fragments, indexed from init + segment by our own parser. */
  async function realDuration(segment: Declared): Promise<number> {
    const init = await bytes(segment.init, segment.initRange);
    const media = await bytes(segment.uri, segment.range);
    const file = Buffer.concat([init, media]);
    const track = await indexTrack(bufferSource(file), { id: 'x', file: 'x' });
    const ticks = track.fragments.duration.reduce((a, b) => a + b, 0);
    // ffprobe, on a sample of segments, reads the same bytes the same way
    if (ffprobed < 24 && seen++ % 7 === 0) {
      ffprobed++;
      const name = path.join(scratch, `s${ffprobed}.mp4`);
      await fs.writeFile(name, file);
      // ffprobe's own packet timestamps: from the first presentation to the end of the last packet
      const { stdout } = await run('ffprobe', [
        '-v',
        'error',
        '-select_streams',
        '0',
        '-show_entries',
        'packet=pts_time,duration_time',
        '-of',
        'csv=p=0',
        name,
      ]);
      const packets = stdout
        .trim()
        .split('\n')
        .map((line) => line.split(',').map(Number) as [number, number]);
      // an AAC priming packet may report no duration (N/A): it lasts until the next packet
      const sorted = packets.sort(([a], [b]) => a - b);
      const first = sorted[0]?.[0] ?? 0;
      const last = Math.max(...sorted.map(([pts, d], i) => pts + (Number.isFinite(d) ? d : (sorted[i + 1]?.[0] ?? pts) - pts)));
      expect(Math.abs(last - first - ticks / track.timescale), `ffprobe ${segment.uri}`).toBeLessThanOrEqual(FRAME);
    }
    return ticks / track.timescale;
  }

  async function check(segments: Declared[], what: string): Promise<number> {
    expect(segments.length, what).toBeGreaterThan(0);
    let total = 0;
    for (const s of segments) {
      const real = await realDuration(s);
      expect(Math.abs(real - s.duration), `${what}: ${s.uri} declares ${s.duration} s, holds ${real} s`).toBeLessThanOrEqual(FRAME);
      total += s.duration;
    }
    return total;
  }

  function clipOf(query: string): { start: number; end: number } | null {
    const p = new URLSearchParams(query);
    if (!p.has('start') && !p.has('end')) return null;
    return { start: Number(p.get('start') ?? 0), end: Number(p.get('end') ?? 13) };
  }

  function expectClip(total: number, query: string, what: string): void {
    const clip = clipOf(query);
    const expected = clip ? clip.end - clip.start : 13;
    expect(Math.abs(total - expected), `${what}: total ${total} s for ${expected} s`).toBeLessThanOrEqual(FRAGMENT + FRAME);
  }

  async function hlsSegments(playlistUrl: string): Promise<Declared[]> {
    const text = (await bytes(playlistUrl)).toString();
    const parser = new M3u8Parser();
    parser.push(text);
    parser.end();
    type Seg = {
      uri: string;
      duration: number;
      byterange?: { offset: number; length: number };
      map?: { uri: string; byterange?: { offset: number; length: number } };
    };
    return (parser.manifest.segments as Seg[]).map((s) => ({
      uri: new URL(s.uri, playlistUrl).href,
      duration: s.duration,
      ...(s.byterange ? { range: s.byterange } : {}),
      init: new URL(s.map?.uri ?? '', playlistUrl).href,
      ...(s.map?.byterange ? { initRange: s.map.byterange } : {}),
    }));
  }

  for (const query of VARIANTS) {
    for (const addressing of ['segments', 'byterange'] as const) {
      const q = [query, addressing === 'byterange' ? 'addressing=byterange' : ''].filter(Boolean).join('&');
      it(`HLS ${q || '(plain)'}`, async () => {
        const masterUrl = `${base}/hls/master.m3u8${q ? `?${q}` : ''}`;
        const parser = new M3u8Parser();
        parser.push((await bytes(masterUrl)).toString());
        parser.end();
        const playlists = parser.manifest.playlists as Array<{ uri: string }>;
        const audio = Object.values(
          (parser.manifest.mediaGroups as { AUDIO: Record<string, Record<string, { uri: string }>> }).AUDIO,
        ).flatMap((g) => Object.values(g).map((r) => r.uri));
        expect(playlists.length).toBeGreaterThan(0);
        for (const uri of [...playlists.map((p) => p.uri), ...audio]) {
          const url = new URL(uri, masterUrl).href;
          const total = await check(await hlsSegments(url), url);
          expectClip(total, query, url);
        }
        // I-frame playlists: each entry one fragment's first sample, durations adding up to the media's
        const iframes = [...(await bytes(masterUrl)).toString().matchAll(/#EXT-X-I-FRAME-STREAM-INF:.*URI="([^"]+)"/g)].map(
          (m) => new URL(m[1] as string, masterUrl).href,
        );
        for (const url of iframes) {
          const entries = await hlsSegments(url);
          let total = 0;
          for (const e of entries) {
            const head = await bytes(e.uri, e.range);
            expect(head.subarray(4, 8).toString(), url).toBe('moof');
            total += e.duration;
          }
          expectClip(total, query, url);
        }
      });
    }

    it(`DASH live ${query || '(plain)'}`, async () => {
      const mpdUrl = `${base}/dash/manifest.mpd${query ? `?${query}` : ''}`;
      const manifest = parseMpd((await bytes(mpdUrl)).toString(), { manifestUri: mpdUrl });
      type Seg = { resolvedUri: string; duration: number; map: { resolvedUri: string } };
      const audio = Object.values(
        (manifest.mediaGroups as { AUDIO: Record<string, Record<string, { playlists: Array<{ segments: Seg[] }> }>> }).AUDIO,
      ).flatMap((g) => Object.values(g).flatMap((r) => r.playlists));
      for (const playlist of [...(manifest.playlists as Array<{ segments: Seg[] }>), ...audio]) {
        const segments = playlist.segments.map((s) => ({ uri: s.resolvedUri, duration: s.duration, init: s.map.resolvedUri }));
        expectClip(await check(segments, mpdUrl), query, mpdUrl);
      }
    });

    it(`DASH on-demand ${query || '(plain)'}`, async () => {
      const mpdUrl = `${base}/dash/ondemand.mpd${query ? `?${query}` : ''}`;
      const text = (await bytes(mpdUrl)).toString();
      const reps = [
        ...text.matchAll(
          /<BaseURL>([^<]+)<\/BaseURL><SegmentBase indexRange="(\d+)-(\d+)" timescale="(\d+)"(?: presentationTimeOffset="(\d+)")?><Initialization range="0-(\d+)"\/>/g,
        ),
      ];
      expect(reps.length).toBeGreaterThan(0);
      for (const [, href, from, to, , pto, initEnd] of reps) {
        const fileUrl = new URL((href as string).replace(/&amp;/g, '&'), mpdUrl).href;
        const sidxStart = Number(from);
        const sidx = parseSidxBox(await bytes(fileUrl, { offset: sidxStart, length: Number(to) - sidxStart + 1 }), sidxStart);
        // the sidx and the MPD agree on where presentation starts
        expect(sidx.earliestPresentationTime, fileUrl).toBe(Number(pto ?? 0));
        let offset = Number(to) + 1 + sidx.firstOffset;
        const segments: Declared[] = sidx.references.map((r) => {
          const s = {
            uri: fileUrl,
            duration: r.duration / sidx.timescale,
            range: { offset, length: r.size },
            init: fileUrl,
            initRange: { offset: 0, length: Number(initEnd) + 1 },
          };
          offset += r.size;
          return s;
        });
        const total = await check(segments, fileUrl);
        expectClip(total, query, fileUrl);
        // the references cover the file to its last byte
        const head = await fetch(fileUrl, { method: 'HEAD' });
        expect(Number(head.headers.get('content-length'))).toBe(offset);
      }
    });
  }
});
