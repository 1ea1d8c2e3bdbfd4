// Delivery over real HTTP against a real origin, on videos encoded by the real encoder.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { loadDevKeys, PlaybackVerifier, signPlaybackToken } from '@vought/auth';
import { parseSidxBox } from '@vought/media';
import { Parser as M3u8Parser } from 'm3u8-parser';
import { parse as parseMpd } from 'mpd-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasTool, makeReadyVideo, startTestOrigin, type TestOrigin } from './harness.ts';

const run = promisify(execFile);
const ffmpeg = await hasTool('ffmpeg');
if (!ffmpeg && process.env.CI === 'true') throw new Error('ffmpeg is required for the delivery tests in CI');

function parseM3u8(text: string) {
  const parser = new M3u8Parser();
  const warnings: string[] = [];
  parser.on('warn', (w: { message: string }) => warnings.push(w.message));
  parser.push(text);
  parser.end();
  return { manifest: parser.manifest, warnings };
}

describe.skipIf(!ffmpeg)('delivery', { timeout: 120_000 }, () => {
  let t: TestOrigin;
  let id: string;
  let base: string;

  beforeAll(async () => {
    t = await startTestOrigin();
    id = await makeReadyVideo(t, { seconds: 16 });
    base = `${t.url}/v1/videos/${id}`;
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  it('serves a multivariant playlist that strict parsers accept, with measured bandwidths and full CODECS', async () => {
    const res = await fetch(`${base}/hls/master.m3u8`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    expect(res.headers.get('cache-control')).toMatch(/max-age=\d+, stale-while-revalidate/);
    expect(res.headers.get('surrogate-key')).toBe(`video-${id}`);
    const text = await res.text();
    const { manifest, warnings } = parseM3u8(text);
    expect(warnings).toEqual([]);
    expect(manifest.playlists).toHaveLength(2); // 360p and 240p from a 360p source
    expect(text).toContain('#EXT-X-INDEPENDENT-SEGMENTS');
    expect(text.match(/DEFAULT=YES/g)).toHaveLength(1);
    expect(text).toContain('CLOSED-CAPTIONS=NONE');
    expect(text).toContain('#EXT-X-I-FRAME-STREAM-INF');
    const index = JSON.parse((await t.adapters.store.readAll(`videos/${id}/index.json`)).toString());
    const audio = index.tracks.find((x: { type: string }) => x.type === 'audio');
    for (const playlist of manifest.playlists) {
      const attrs = playlist.attributes;
      expect(attrs.CODECS).toMatch(/^avc1\.64[0-9a-f]{4},mp4a\.40\.2$/);
      // BANDWIDTH is the measured peak of 4 s segments, video + audio, AVERAGE within 10 % of the real average
      const track = index.tracks.find((x: { height?: number }) => x.height === attrs.RESOLUTION.height);
      const mediaText = await (await fetch(new URL(playlist.uri, `${base}/hls/master.m3u8`))).text();
      const media = parseM3u8(mediaText);
      expect(media.warnings).toEqual([]);
      let peak = 0;
      let bytes = 0;
      let seconds = 0;
      for (const segment of media.manifest.segments) {
        const body = await (await fetch(new URL(segment.uri, new URL(playlist.uri, `${base}/hls/master.m3u8`)))).arrayBuffer();
        peak = Math.max(peak, (body.byteLength * 8) / segment.duration);
        bytes += body.byteLength;
        seconds += segment.duration;
      }
      expect(attrs.BANDWIDTH).toBeGreaterThanOrEqual(Math.floor(peak));
      expect(attrs.BANDWIDTH).toBeLessThanOrEqual(Math.ceil(peak + audio.bandwidth.peak * 1.2));
      const average = (bytes * 8) / seconds + audio.bandwidth.average;
      expect(Math.abs(attrs['AVERAGE-BANDWIDTH'] - average) / average).toBeLessThan(0.1);
      expect(track).toBeDefined();
    }
  });

  it('serves media playlists with exact EXTINF summing to the duration and a target duration players accept', async () => {
    const text = await (await fetch(`${base}/hls/v360.m3u8`)).text();
    expect(text).toContain('#EXT-X-VERSION:7');
    expect(text).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
    expect(text).toMatch(/#EXT-X-MAP:URI="..\/v360\/init.mp4"/);
    const { manifest } = parseM3u8(text);
    const total = manifest.segments.reduce((a: number, s: { duration: number }) => a + s.duration, 0);
    expect(total).toBeCloseTo(16, 1);
    for (const s of manifest.segments) expect(Math.round(s.duration)).toBeLessThanOrEqual(manifest.targetDuration);
    expect(manifest.segments.slice(0, -1).every((s: { duration: number }) => Math.abs(s.duration - 4) < 0.01)).toBe(true);
    const six = parseM3u8(await (await fetch(`${base}/hls/v360.m3u8?segment=6`)).text()).manifest;
    expect(six.segments[0].duration).toBeCloseTo(6, 2);
  });

  it('serves byte-range addressing and I-frame playlists into the stored file', async () => {
    const text = await (await fetch(`${base}/hls/v360.m3u8?addressing=byterange`)).text();
    expect(text).toContain('#EXT-X-BYTERANGE:');
    const { manifest, warnings } = parseM3u8(text);
    expect(warnings).toEqual([]);
    const seg = manifest.segments[1];
    const res = await fetch(new URL(seg.uri, `${base}/hls/`), {
      headers: { range: `bytes=${seg.byterange.offset}-${seg.byterange.offset + seg.byterange.length - 1}` },
    });
    expect(res.status).toBe(206);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.length).toBe(seg.byterange.length);
    expect(bytes.subarray(4, 8).toString()).toBe('moof');
    const iframes = parseM3u8(await (await fetch(`${base}/hls/v360.iframes.m3u8`)).text());
    expect(iframes.warnings).toEqual([]);
    expect(iframes.manifest.iFramesOnly).toBe(true);
    expect(iframes.manifest.segments).toHaveLength(8);
  });

  it('serves a DASH MPD (isoff-live) whose timelines start at tfdt, without gaps or zero durations', async () => {
    const res = await fetch(`${base}/dash/manifest.mpd`);
    expect(res.headers.get('content-type')).toBe('application/dash+xml');
    const text = await res.text();
    expect(text).toContain('urn:mpeg:dash:profile:isoff-live:2011');
    expect(text).not.toMatch(/ d="0"/);
    const parsed = parseMpd(text, { manifestUri: `${base}/dash/manifest.mpd` });
    expect(parsed.playlists).toHaveLength(2);
    for (const p of parsed.playlists) {
      const total = p.segments.reduce((a: number, s: { duration: number }) => a + s.duration, 0);
      expect(total).toBeCloseTo(16, 1);
      expect(p.segments[0].uri).toMatch(/s4000\/0\.m4s$/);
    }
    expect(text).toContain('http://dashif.org/thumbnail_tile');
    // clipping: the timeline starts at the clip's tfdt with presentationTimeOffset
    const clipped = await (await fetch(`${base}/dash/manifest.mpd?start=5&end=13`)).text();
    expect(clipped).toMatch(/presentationTimeOffset="\d+"/);
    expect(clipped).toMatch(/<S t="\d+"/);
    // start 5 s snaps back to the fragment at 4 s, end 13 s forward to the end of the one at 12 s
    expect(clipped).toContain('mediaPresentationDuration="PT10.000S"');
    expect(clipped).toContain('presentationTimeOffset="61440"');
    expect(clipped).not.toMatch(/t="-/);
  });

  it('offers the DASH on-demand profile: SegmentBase with an indexRange pointing at a real sidx', async () => {
    const text = await (await fetch(`${base}/dash/ondemand.mpd`)).text();
    expect(text).toContain('urn:mpeg:dash:profile:isoff-on-demand:2011');
    const match = /<BaseURL>\.\.\/v360\/([^<]+)<\/BaseURL><SegmentBase indexRange="(\d+)-(\d+)"/.exec(text);
    expect(match).not.toBeNull();
    const [, file, from, to] = match as RegExpExecArray;
    const res = await fetch(`${base}/v360/${file}`, { headers: { range: `bytes=${from}-${to}` } });
    expect(res.status).toBe(206);
    const sidx = parseSidxBox(new Uint8Array(await res.arrayBuffer()));
    expect(sidx.references.length).toBe(4);
    // the first referenced subsegment, right after the sidx, is a moof
    const first = await fetch(`${base}/v360/${file}`, { headers: { range: `bytes=${Number(to) + 1}-${Number(to) + 8}` } });
    expect(
      Buffer.from(await first.arrayBuffer())
        .subarray(4, 8)
        .toString(),
    ).toBe('moof');
  });

  it('honours the HTTP contract on segments: Range (206, suffix, 416), HEAD, ETag/304, immutable caching, types', async () => {
    const url = `${base}/v360/s4000/0.m4s`;
    const full = await fetch(url);
    expect(full.status).toBe(200);
    expect(full.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(full.headers.get('content-type')).toBe('video/mp4');
    expect(full.headers.get('accept-ranges')).toBe('bytes');
    const etag = full.headers.get('etag') as string;
    expect(etag).toMatch(/^"[^"]+"$/);
    const body = Buffer.from(await full.arrayBuffer());
    const part = await fetch(url, { headers: { range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 10-19/${body.length}`);
    expect(Buffer.from(await part.arrayBuffer())).toEqual(body.subarray(10, 20));
    const suffix = await fetch(url, { headers: { range: 'bytes=-5' } });
    expect(Buffer.from(await suffix.arrayBuffer())).toEqual(body.subarray(-5));
    const beyond = await fetch(url, { headers: { range: `bytes=${body.length}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${body.length}`);
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(body.length));
    const cached = await fetch(url, { headers: { 'if-none-match': etag } });
    expect(cached.status).toBe(304);
    const init = await fetch(`${base}/a-und/init.mp4`);
    expect(init.headers.get('content-type')).toBe('audio/mp4');
    expect(
      Buffer.from(await init.arrayBuffer())
        .subarray(4, 8)
        .toString(),
    ).toBe('ftyp');
  });

  it('answers a repeated public segment from kept memory with the same bytes and headers', async () => {
    const url = `${base}/v240/s6000/0.m4s`; // not requested by any earlier test
    const objects = t.origin.delivery?.objects;
    const keptBefore = objects?.keptBytes ?? 0;
    const first = await fetch(url);
    const firstBody = Buffer.from(await first.arrayBuffer());
    expect((objects?.keptBytes ?? 0) - keptBefore).toBeGreaterThanOrEqual(firstBody.length);
    // a second answer reads nothing from storage
    const store = t.adapters.store;
    const read = store.read.bind(store);
    let reads = 0;
    store.read = (...args) => {
      reads++;
      return read(...args);
    };
    const second = await fetch(url);
    store.read = read;
    expect(reads).toBe(0);
    expect(Buffer.from(await second.arrayBuffer())).toEqual(firstBody);
    for (const h of [
      'content-type',
      'cache-control',
      'etag',
      'surrogate-key',
      'last-modified',
      'access-control-allow-origin',
      'accept-ranges',
    ]) {
      expect(second.headers.get(h), h).toBe(first.headers.get(h));
    }
    expect((await fetch(url, { headers: { 'if-none-match': first.headers.get('etag') as string } })).status).toBe(304);
    expect((await fetch(url, { headers: { 'if-none-match': '"other"' } })).status).toBe(200);
    const ranged = await fetch(url, { headers: { range: 'bytes=0-3' } });
    expect(ranged.status).toBe(206);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    // objects are served before the framework, under stable route labels
    const series = metrics.split('\n').filter((l) => l.startsWith('http_request_duration_seconds_count') && l.includes('/:plan/:time.m4s'));
    expect(series.length).toBeGreaterThan(0);
  });

  it('answers CORS preflights for players on other origins', async () => {
    const res = await fetch(`${base}/hls/master.m3u8`, {
      method: 'OPTIONS',
      headers: { origin: 'https://player.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'range' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('range');
  });

  it('keeps error meanings: 404 unknown video/track/segment, 409 still processing, 400 naming a bad parameter', async () => {
    expect((await fetch(`${t.url}/v1/videos/nope/hls/master.m3u8`)).status).toBe(404);
    expect((await fetch(`${base}/v999/init.mp4`)).status).toBe(404);
    expect((await fetch(`${base}/v360/s4000/12345.m4s`)).status).toBe(404);
    await t.adapters.catalog.createVideo({ id: 'busy1', owner: 'x', title: 'busy', status: 'processing' });
    const busy = await fetch(`${t.url}/v1/videos/busy1/dash/manifest.mpd`);
    expect(busy.status).toBe(409);
    expect(await busy.json()).toMatchObject({ error: { code: 'video.not_ready', status: 'processing' } });
    for (const [query, parameter] of [
      ['max_height=tall', 'max_height'],
      ['start=10&end=5', 'start'],
      ['segment=99', 'segment'],
      ['audio=e$g', 'audio'],
      ['start=500', 'start'],
    ]) {
      const res = await fetch(`${base}/hls/master.m3u8?${query}`);
      expect(res.status, query).toBe(400);
      const body = (await res.json()) as { error: { parameter: string; message: string } };
      expect(body.error.parameter, query).toBe(parameter);
      expect(body.error.message).toContain(parameter);
    }
    const none = await fetch(`${base}/dash/manifest.mpd?max_height=100`);
    expect(none.status).toBe(400);
  });

  it('filters by height and bitrate and picks audio languages, the same in HLS and DASH', async () => {
    const hls = parseM3u8(await (await fetch(`${base}/hls/master.m3u8?max_height=300`)).text()).manifest;
    expect(hls.playlists.map((p: { attributes: { RESOLUTION: { height: number } } }) => p.attributes.RESOLUTION.height)).toEqual([240]);
    const dash = await (await fetch(`${base}/dash/manifest.mpd?min_height=300`)).text();
    expect(dash).toContain('height="360"');
    expect(dash).not.toContain('height="240"');
  });

  it('lets ffprobe read both manifests over HTTP', async () => {
    for (const url of [`${base}/hls/master.m3u8`, `${base}/dash/manifest.mpd`]) {
      const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,height', '-of', 'json', url]);
      const streams = JSON.parse(stdout).streams as Array<{ codec_name: string }>;
      expect(streams.map((s) => s.codec_name)).toEqual(expect.arrayContaining(['h264', 'aac']));
    }
  });

  it('guards private videos: 401 without a playback token at manifest and segment, plays with one, tokens carried into URLs', async () => {
    const secret = await makeReadyVideo(t, { seconds: 4, visibility: 'private' });
    const sbase = `${t.url}/v1/videos/${secret}`;
    for (const url of [`${sbase}/hls/master.m3u8`, `${sbase}/dash/manifest.mpd`, `${sbase}/v240/s4000/0.m4s`, `${sbase}/v240/init.mp4`]) {
      const res = await fetch(url);
      expect(res.status, url).toBe(401);
    }
    const keys = await loadDevKeys(t.config.auth.keyDir);
    const { token } = await signPlaybackToken(keys, { videoId: secret, ttlSeconds: 300 });
    const master = await fetch(`${sbase}/hls/master.m3u8?token=${token}`);
    expect(master.status).toBe(200);
    expect(master.headers.get('cache-control')).toMatch(/^private/);
    const text = await master.text();
    expect(text).toContain(`token=${encodeURIComponent(token)}`);
    const media = await (await fetch(new URL(text.split('\n').find((l) => l.startsWith('v240')) as string, `${sbase}/hls/`))).text();
    const segment = media.split('\n').find((l) => l.includes('.m4s')) as string;
    expect(segment).toContain('token=');
    expect((await fetch(new URL(segment, `${sbase}/hls/`))).status).toBe(200);
    const bearer = await fetch(`${sbase}/v240/init.mp4`, { headers: { authorization: `Bearer ${token}` } });
    expect(bearer.status).toBe(200);
    const other = await signPlaybackToken(keys, { videoId: id, ttlSeconds: 300 });
    expect((await fetch(`${sbase}/hls/master.m3u8?token=${other.token}`)).status).toBe(401);
    void PlaybackVerifier;
  });

  it('forgets a video on every node when it turns private (invalidation through the bus)', async () => {
    const vid = await makeReadyVideo(t, { seconds: 4 });
    const url = `${t.url}/v1/videos/${vid}/hls/master.m3u8`;
    expect((await fetch(url)).status).toBe(200);
    const editor = await t.token('admin');
    const patched = await fetch(`${t.url}/v1/videos/${vid}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${editor}`, 'content-type': 'application/json' },
      body: JSON.stringify({ visibility: 'private' }),
    });
    expect(patched.status).toBe(200);
    expect((await fetch(url)).status).toBe(401);
    const deleted = await fetch(`${t.url}/v1/videos/${vid}`, { method: 'DELETE', headers: { authorization: `Bearer ${editor}` } });
    expect(deleted.status).toBe(204);
    expect((await fetch(url)).status).toBe(404);
    expect(await t.adapters.store.head(`videos/${vid}/index.json`)).toBeNull();
  });
});
