// Encryption just in time over real HTTP against a real origin, on videos encoded by the real
// encoder: every encrypted segment decrypts back to the clear segment's exact bytes with the key the
// key URI or the ClearKey licence hands out, Debian's ffmpeg decodes what vought encrypted to the
// clear stream's frames (framemd5), keys rotate at key-period boundaries, clipped and filtered
// manifests stay consistent, the video's policy is enforced, and keys need a playback token.
import { spawn } from 'node:child_process';
import { createDecipheriv } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path_ from 'node:path';
import { loadDevKeys, signPlaybackToken } from '@vought/auth';
import { parseDeliveryUrl, segmentOf } from '@vought/manifest';
import { decryptSegment, parseMediaIndex, parseTencBox, segmentTargetOf, writePssh } from '@vought/media';
import { skipUnlessServer } from '@vought/observability/test/required-services';
import { videoKeys } from '@vought/storage';
import { Parser as M3u8Parser } from 'm3u8-parser';
import { parse as parseMpd } from 'mpd-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasTool, makeReadyVideo, startTestOrigin, type TestOrigin } from './harness.ts';

const ffmpeg = await hasTool('ffmpeg');
if (!ffmpeg && process.env.CI === 'true') throw new Error('ffmpeg is required for the encryption tests in CI');

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

async function bytes(url: string | URL, init?: RequestInit): Promise<Buffer> {
  const res = await fetch(url, init);
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return Buffer.from(await res.arrayBuffer());
}

/** framemd5 of every decoded frame of `input` piped into ffmpeg (its mov demuxer decrypts only piped multi-fragment input). */
async function frameMd5(input: Buffer, key?: Uint8Array): Promise<string> {
  const args = ['-v', 'error', ...(key ? ['-decryption_key', hex(key)] : []), '-i', 'pipe:0', '-map', '0', '-f', 'framemd5', '-'];
  const child = spawn('ffmpeg', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.on('error', () => {});
  child.stdin.end(input);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`ffmpeg exited ${code}: ${Buffer.concat(err).toString().slice(0, 300)}`);
  // the hash lines only (the header names the stream, which differs between encv and avc1)
  return Buffer.concat(out)
    .toString()
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n');
}

/** The KID and constant IV in an encrypted init segment's tenc. */
function tencOf(init: Buffer): { kid: Uint8Array; constantIv?: Uint8Array } {
  const at = init.indexOf('tenc') - 4;
  if (at < 0) throw new Error('no tenc in the init segment');
  const tenc = parseTencBox(init.subarray(at, at + init.readUInt32BE(at)));
  return { kid: tenc.kid, ...(tenc.constantIv ? { constantIv: tenc.constantIv } : {}) };
}

interface DashSegments {
  representation: string;
  /** Per Period: its init URL and its segments' URLs. */
  periods: Array<{ init: string; media: string[] }>;
}

/** A representation's init and segment URLs, Period by Period, from an MPD (mpd-parser resolves the templates). */
function dashSegments(mpd: string, manifestUri: string, representation: string): DashSegments {
  const parsed = parseMpd(mpd, { manifestUri });
  const lists = [
    ...parsed.playlists,
    ...Object.values(parsed.mediaGroups.AUDIO).flatMap((g) => Object.values(g as object).flatMap((x) => x.playlists)),
  ].filter((p: { attributes: { NAME: string } }) => p.attributes.NAME === representation);
  const periods: DashSegments['periods'] = [];
  for (const list of lists) {
    for (const s of list.segments as Array<{ resolvedUri: string; map: { resolvedUri: string } }>) {
      const last = periods.at(-1);
      if (last && last.init === s.map.resolvedUri) last.media.push(s.resolvedUri);
      else periods.push({ init: s.map.resolvedUri, media: [s.resolvedUri] });
    }
  }
  return { representation, periods };
}

/** The same segment's clear URL: the encrypted URL without its scheme-and-period directory. */
const clearUrl = (url: string) => url.replace(/\/(?:aes-128|cenc|cbcs)-k\d+\//, '/').replace(/\?.*$/, '');

/** The clear bytes an encrypted URL was made from, read from storage (a policy refuses them over HTTP). */
async function storedBytes(t: TestOrigin, url: string): Promise<Buffer> {
  const parsed = parseDeliveryUrl(new URL(clearUrl(url)).pathname);
  if (!parsed || (parsed.resource.kind !== 'init' && parsed.resource.kind !== 'segment')) throw new Error(`not a segment: ${url}`);
  const index = parseMediaIndex(await t.adapters.store.readAll(videoKeys.index(parsed.videoId)));
  const { resource } = parsed;
  const track = index.tracks.find((x) => x.id === resource.trackId);
  if (!track) throw new Error(`no track in ${url}`);
  const file = videoKeys.file(parsed.videoId, track.file);
  if (resource.kind === 'init') return t.adapters.store.read(file, track.init.offset, track.init.size);
  const segment = segmentOf(track, resource.plan, resource.time);
  if (!segment) throw new Error(`no segment at ${url}`);
  return t.adapters.store.read(file, segment.offset, segment.size);
}

describe.skipIf(!ffmpeg)('encryption just in time', { timeout: 180_000 }, () => {
  let t: TestOrigin;
  let id: string;
  let rotating: string;
  let guarded: string;
  let token: string;
  let rotatingToken: string;
  let guardedToken: string;
  let base: string;

  beforeAll(async () => {
    t = await startTestOrigin({}, undefined, { publicUrl: true });
    [id, rotating, guarded] = await Promise.all([
      makeReadyVideo(t, { seconds: 12 }),
      makeReadyVideo(t, { seconds: 12 }),
      makeReadyVideo(t, { seconds: 6 }),
    ]);
    await t.adapters.catalog.updateVideo(rotating, {
      encryption: { schemes: ['cenc', 'aes-128', 'cbcs', 'sample-aes'], rotationSegments: 1 },
    });
    await t.adapters.catalog.updateVideo(guarded, { encryption: { schemes: ['cenc'] } });
    const keys = await loadDevKeys(t.config.auth.keyDir);
    token = (await signPlaybackToken(keys, { videoId: id, ttlSeconds: 600 })).token;
    rotatingToken = (await signPlaybackToken(keys, { videoId: rotating, ttlSeconds: 600 })).token;
    guardedToken = (await signPlaybackToken(keys, { videoId: guarded, ttlSeconds: 600 })).token;
    base = `${t.url}/v1/videos/${id}`;
  }, 180_000);
  afterAll(async () => {
    await t?.close();
  });

  it('HLS AES-128: each segment decrypts with its key URI and its IV to the clear segment, and ffmpeg plays it to the clear frames', async () => {
    const master = await fetch(`${base}/hls/master.m3u8?encryption=aes-128&token=${token}`);
    expect(master.status).toBe(200);
    // the key URIs carry the asker's token: no shared cache may keep this manifest
    expect(master.headers.get('cache-control')).toMatch(/^private/);
    const text = await master.text();
    expect(text).not.toContain('I-FRAME');
    const variant = text.split('\n').find((l) => l.startsWith('v240')) as string;
    expect(variant).toContain('encryption=aes-128');
    const mediaUrl = new URL(variant, `${base}/hls/`);
    const parser = new M3u8Parser();
    parser.push(await (await fetch(mediaUrl)).text());
    parser.end();
    const segments = parser.manifest.segments as Array<{
      uri: string;
      key: { method: string; uri: string; iv: Uint32Array };
      map: { uri: string };
    }>;
    expect(segments.length).toBe(3);
    const clearParts: Buffer[] = [await bytes(new URL(segments[0]?.map.uri as string, mediaUrl))];
    const encParts: Buffer[] = [clearParts[0] as Buffer]; // the init segment stays clear (EXT-X-MAP before the key)
    for (const s of segments) {
      expect(s.key.method).toBe('AES-128');
      const keyRes = await fetch(new URL(s.key.uri, mediaUrl));
      expect(keyRes.headers.get('cache-control')).toBe('no-store');
      const key = Buffer.from(await keyRes.arrayBuffer());
      expect(key.length).toBe(16);
      const iv = Buffer.alloc(16);
      s.key.iv.forEach((word, i) => {
        iv.writeUInt32BE(word, i * 4);
      });
      const encrypted = await bytes(new URL(s.uri, mediaUrl));
      const clear = await bytes(clearUrl(new URL(s.uri, mediaUrl).href));
      const decipher = createDecipheriv('aes-128-cbc', key, iv);
      expect(Buffer.concat([decipher.update(encrypted), decipher.final()]).equals(clear)).toBe(true);
      expect(encrypted.length).toBe((Math.floor(clear.length / 16) + 1) * 16);
      clearParts.push(clear);
      encParts.push(encrypted);
    }
    // ffmpeg's HLS demuxer fetches the keys itself: the same frames as the clear playlist
    const hlsFrames = async (url: string) => {
      const child = spawn('ffmpeg', ['-v', 'error', '-i', url, '-map', '0:v', '-f', 'framemd5', '-'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(code).toBe(0);
      return Buffer.concat(out)
        .toString()
        .split('\n')
        .filter((l) => !l.startsWith('#'))
        .join('\n');
    };
    const clearFrames = await hlsFrames(`${base}/hls/v240.m3u8`);
    expect(clearFrames.split('\n').length).toBeGreaterThan(100);
    expect(await hlsFrames(mediaUrl.href)).toBe(clearFrames);
  });

  for (const scheme of ['cenc', 'cbcs'] as const) {
    it(`DASH ${scheme}: ContentProtection with the KID and licence URL; the licence's key decrypts every segment to the clear bytes and ffmpeg to the clear frames`, async () => {
      const mpdUrl = `${base}/dash/manifest.mpd?encryption=${scheme}&token=${token}`;
      const mpd = await (await fetch(mpdUrl)).text();
      expect(mpd).toContain(`value="${scheme}"`);
      const laurl = /<dashif:Laurl>([^<]+)<\/dashif:Laurl>/.exec(mpd)?.[1]?.replace(/&amp;/g, '&') as string;
      expect(laurl).toBe(`${t.url}/v1/videos/${id}/keys/clearkey?token=${token}`);
      const kidText = /cenc:default_KID="([0-9a-f-]{36})"/.exec(mpd)?.[1] as string;
      const kid = Buffer.from(kidText.replace(/-/g, ''), 'hex');
      const licence = await fetch(laurl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ kids: [kid.toString('base64url')], type: 'temporary' }),
      });
      expect(licence.status).toBe(200);
      expect(licence.headers.get('cache-control')).toBe('no-store');
      const jwks = (await licence.json()) as { keys: Array<{ kty: string; kid: string; k: string }> };
      expect(jwks.keys).toEqual([{ kty: 'oct', kid: kid.toString('base64url'), k: expect.any(String) }]);
      const key = Buffer.from(jwks.keys[0]?.k as string, 'base64url');
      const audio = /contentType="audio".*?<Representation id="([^"]+)"/.exec(mpd)?.[1] as string;
      expect(audio).toBeDefined();
      for (const representation of ['v240', audio]) {
        const { periods } = dashSegments(mpd, mpdUrl, representation);
        expect(periods, representation).toHaveLength(1);
        const period = periods[0] as { init: string; media: string[] };
        const init = await bytes(period.init);
        const tenc = tencOf(init);
        expect(hex(tenc.kid)).toBe(hex(kid));
        const target = segmentTargetOf(init);
        const clearInit = await bytes(clearUrl(period.init));
        const enc: Buffer[] = [init];
        const clear: Buffer[] = [clearInit];
        for (const url of period.media) {
          const encrypted = await bytes(url);
          const plain = await bytes(clearUrl(url));
          const decrypted = decryptSegment(encrypted, {
            ...target,
            scheme,
            key,
            ...(tenc.constantIv ? { constantIv: tenc.constantIv } : {}),
          });
          expect(Buffer.from(decrypted).equals(plain), url).toBe(true);
          enc.push(encrypted);
          clear.push(plain);
        }
        const clearFrames = await frameMd5(Buffer.concat(clear));
        expect(await frameMd5(Buffer.concat(enc), key)).toBe(clearFrames);
        // a wrong key does not give the clear frames (ffmpeg fails or decodes garbage)
        const wrong = Buffer.from(key);
        wrong[0] = (wrong[0] ?? 0) ^ 0xff;
        const withWrongKey = await frameMd5(Buffer.concat(enc), wrong).catch((error: Error) => error.message);
        expect(withWrongKey).not.toBe(clearFrames);
      }
    });
  }

  it('rotates keys at every key period: HLS keys, SAMPLE-AES inits and DASH Periods change KID at the boundaries, each decrypting its own segments', async () => {
    const rbase = `${t.url}/v1/videos/${rotating}`;
    // HLS AES-128: one key URI per segment (rotation every segment), all different keys
    const media = await (await fetch(`${rbase}/hls/v240.m3u8?encryption=aes-128&token=${rotatingToken}`)).text();
    const keyUris = [...media.matchAll(/URI="(\.\.\/keys\/k\d+)\?token=[^"]+"/g)].map((m) => m[1]);
    expect(keyUris).toEqual(['../keys/k0', '../keys/k1', '../keys/k2']);
    const keys = await Promise.all([0, 1, 2].map((p) => bytes(`${rbase}/keys/k${p}?token=${rotatingToken}`)));
    expect(new Set(keys.map((k) => k.toString('hex'))).size).toBe(3);
    // SAMPLE-AES: a new key and a new init segment (naming the period's KID) at each boundary
    const sampleAes = await (await fetch(`${rbase}/hls/v240.m3u8?encryption=sample-aes&token=${rotatingToken}`)).text();
    expect(sampleAes.match(/#EXT-X-KEY:METHOD=SAMPLE-AES/g)).toHaveLength(3);
    expect(sampleAes.match(/#EXT-X-MAP:URI="\.\.\/v240\/cbcs-k\d\/init\.mp4"/g)).toHaveLength(3);
    // DASH: three Periods, three KIDs; the licence hands out all three; each Period decrypts with its own key only
    const mpdUrl = `${rbase}/dash/manifest.mpd?token=${rotatingToken}`; // the policy's first DASH scheme: cenc
    const mpd = await (await fetch(mpdUrl)).text();
    expect(mpd.match(/<Period /g)).toHaveLength(3);
    const kids = [...new Set([...mpd.matchAll(/cenc:default_KID="([0-9a-f-]{36})"/g)].map((m) => m[1] as string))];
    expect(kids).toHaveLength(3);
    const b64 = kids.map((k) => Buffer.from(k.replace(/-/g, ''), 'hex').toString('base64url'));
    const licence = (await (
      await fetch(`${rbase}/keys/clearkey?token=${rotatingToken}`, { method: 'POST', body: JSON.stringify({ kids: b64 }) })
    ).json()) as { keys: Array<{ kid: string; k: string }> };
    expect(licence.keys.map((k) => k.kid).sort()).toEqual([...b64].sort());
    const { periods } = dashSegments(mpd, mpdUrl, 'v240');
    expect(periods).toHaveLength(3);
    for (const [i, period] of periods.entries()) {
      expect(period.init).toContain(`/cenc-k${i}/init.mp4`);
      const init = await bytes(period.init);
      const kid = Buffer.from(tencOf(init).kid).toString('base64url');
      expect(kid).toBe(b64[i]);
      const key = Buffer.from(licence.keys.find((k) => k.kid === kid)?.k as string, 'base64url');
      // the HLS key URI of the same period hands out the same content key
      expect(key.equals(keys[i] as Buffer)).toBe(true);
      const segs = await Promise.all(period.media.map((u) => bytes(u)));
      const clear = await Promise.all(period.media.map((u) => storedBytes(t, u)));
      const clearFrames = await frameMd5(Buffer.concat([await storedBytes(t, period.init), ...clear]));
      expect(await frameMd5(Buffer.concat([init, ...segs]), key)).toBe(clearFrames);
      const other = keys[(i + 1) % 3] as Buffer;
      expect(await frameMd5(Buffer.concat([init, ...segs]), other).catch((e: Error) => e.message)).not.toBe(clearFrames);
    }
  });

  it('a clipped, filtered manifest: Periods from the clip start, only the kept renditions, segments decrypting to the clear clip', async () => {
    const rbase = `${t.url}/v1/videos/${rotating}`;
    const mpdUrl = `${rbase}/dash/manifest.mpd?encryption=cbcs&start=4&max_height=240&segment=2&token=${rotatingToken}`;
    const mpd = await (await fetch(mpdUrl)).text();
    expect(mpd).not.toContain('id="v360"');
    expect(mpd).toContain('presentationTimeOffset=');
    const { periods } = dashSegments(mpd, mpdUrl, 'v240');
    // 8 s from the clip's start in 2 s segments, one key period each, numbered from the clip's start
    expect(periods.length).toBe(4);
    for (const [i, period] of periods.entries()) {
      expect(period.media).toHaveLength(1);
      expect(period.media[0]).toContain(`/cbcs-k${i}/s2000/`);
      const init = await bytes(period.init);
      const { kid, constantIv } = tencOf(init);
      const licence = (await (
        await fetch(`${rbase}/keys/clearkey?token=${rotatingToken}`, {
          method: 'POST',
          body: JSON.stringify({ kids: [Buffer.from(kid).toString('base64url')] }),
        })
      ).json()) as { keys: Array<{ k: string }> };
      const key = Buffer.from(licence.keys[0]?.k as string, 'base64url');
      const enc = await bytes(period.media[0] as string);
      const decrypted = decryptSegment(enc, { ...segmentTargetOf(init), scheme: 'cbcs', key, ...(constantIv ? { constantIv } : {}) });
      expect(Buffer.from(decrypted).equals(await storedBytes(t, period.media[0] as string))).toBe(true);
    }
  });

  it("enforces the video's policy: clear media refused with 403, only its schemes served, DASH defaults to its scheme", async () => {
    const gbase = `${t.url}/v1/videos/${guarded}`;
    for (const url of [
      `${gbase}/v240/s4000/0.m4s`,
      `${gbase}/v240/init.mp4`,
      `${gbase}/v240/file.mp4`,
      `${gbase}/v240/cbcs-k0/s4000/0.m4s`,
    ]) {
      const res = await fetch(url);
      expect(res.status, url).toBe(403);
      const body = (await res.json()) as { error: { code: string; message: string; schemes: string[] } };
      expect(body.error.code).toBe('video.encryption_required');
      expect(body.error.schemes).toBe('cenc');
    }
    const hls = await fetch(`${gbase}/hls/master.m3u8`);
    expect(hls.status).toBe(403);
    expect(((await hls.json()) as { error: { message: string } }).error.message).toMatch(/none of them is for HLS/);
    expect((await fetch(`${gbase}/dash/manifest.mpd?encryption=cbcs`)).status).toBe(403);
    const mpd = await fetch(`${gbase}/dash/manifest.mpd`);
    expect(mpd.status).toBe(200);
    expect(await mpd.text()).toContain('value="cenc"');
    expect((await fetch(`${gbase}/v240/cenc-k0/s4000/0.m4s`)).status).toBe(200);
    expect((await fetch(`${gbase}/v240/cenc-k1/s4000/0.m4s`)).status).toBe(404); // no rotation: only period 0 exists
    expect((await fetch(`${gbase}/dash/ondemand.mpd`)).status).toBe(400);
    expect((await fetch(`${gbase}/keys/k0?token=${guardedToken}`)).status).toBe(200);
  });

  it('refuses bad requests with a JSON reason: unknown scheme, a scheme of the other format, byterange, I-frames', async () => {
    for (const [url, status, match] of [
      [`${base}/hls/master.m3u8?encryption=rot13`, 400, /encryption: must be one of/],
      [`${base}/hls/master.m3u8?encryption=cenc`, 400, /cenc is not for HLS/],
      [`${base}/dash/manifest.mpd?encryption=aes-128`, 400, /aes-128 is not for DASH/],
      [`${base}/hls/v240.m3u8?encryption=aes-128&addressing=byterange`, 400, /byterange/],
      [`${base}/hls/v240.iframes.m3u8?encryption=sample-aes`, 400, /I-frame/],
      [`${base}/dash/ondemand.mpd?encryption=cenc`, 400, /on-demand profile/],
    ] as const) {
      const res = await fetch(url);
      expect(res.status, url).toBe(status);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(match);
    }
  });

  it('keys and licences need a playback token of the video, are never cacheable, and refuse malformed requests', async () => {
    const other = (await signPlaybackToken(await loadDevKeys(t.config.auth.keyDir), { videoId: rotating, ttlSeconds: 60 })).token;
    for (const init of [{}, { headers: { authorization: `Bearer ${other}` } }]) {
      expect((await fetch(`${base}/keys/k0`, init)).status).toBe(401);
      expect((await fetch(`${base}/keys/clearkey`, { method: 'POST', body: '{"kids":[]}', ...init })).status).toBe(401);
    }
    const ok = await fetch(`${base}/keys/k0`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    expect((await fetch(`${base}/keys/k1?token=${token}`)).status).toBe(404);
    const licence = (body: string) => fetch(`${base}/keys/clearkey?token=${token}`, { method: 'POST', body });
    for (const body of ['not json', '{}', '{"kids":[]}', '{"kids":["short"]}', `{"kids":["${'A'.repeat(22)}"],"type":"forever"}`]) {
      const res = await licence(body);
      expect(res.status, body).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/ClearKey licence request/);
    }
    expect((await licence(`{"kids":["${'A'.repeat(22)}"]}`)).status).toBe(404);
    expect((await licence(JSON.stringify({ kids: Array.from({ length: 2000 }, () => 'A'.repeat(22)) }))).status).toBe(413);
    // a chunked body names no length: counted as it streams, refused past the limit
    const chunk = new TextEncoder().encode(' '.repeat(64 * 1024));
    let sent = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 64) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const chunked = await fetch(`${base}/keys/clearkey?token=${token}`, { method: 'POST', body: endless, duplex: 'half' } as RequestInit);
    expect(chunked.status).toBe(413);
  });

  it('encrypts once per fill: concurrent and later requests share one encryption, same bytes and ETag; HEAD and Range answer from the encrypted size', async () => {
    const url = `${base}/v360/cenc-k0/s4000/0.m4s`;
    const first = await fetch(url);
    const body = Buffer.from(await first.arrayBuffer());
    const second = await fetch(url);
    expect(Buffer.from(await second.arrayBuffer()).equals(body)).toBe(true);
    expect(second.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(first.headers.get('etag')).toMatch(/-cenc-k0-[A-Za-z0-9_-]{8}"$/);
    expect(Number(first.headers.get('content-length'))).toBe(body.length);
    const clear = await bytes(`${base}/v360/s4000/0.m4s`);
    expect(body.length).toBeGreaterThan(clear.length); // senc, saiz and saio
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe(String(body.length));
    const range = await fetch(url, { headers: { range: 'bytes=10-19' } });
    expect(range.status).toBe(206);
    expect(Buffer.from(await range.arrayBuffer()).equals(body.subarray(10, 20))).toBe(true);
    expect((await fetch(url, { headers: { 'if-none-match': first.headers.get('etag') as string } })).status).toBe(304);
    // 20 concurrent requests for a segment nobody asked for yet: one encryption, counted by the origin's metrics
    const encryptions = async () => {
      const text = await (await fetch(`${t.url}/metrics`)).text();
      const line = text
        .split('\n')
        .find((l) => l.startsWith('vought_encryption_seconds_count') && l.includes('scheme="cenc"') && l.includes('kind="segment"'));
      return Number(line?.split(' ').at(-1) ?? 0);
    };
    const before = await encryptions();
    const fresh = `${base}/v360/cenc-k0/s4000/61440.m4s`;
    const bodies = await Promise.all(Array.from({ length: 20 }, async () => Buffer.from(await (await fetch(fresh)).arrayBuffer())));
    expect(new Set(bodies.map((b) => b.toString('base64'))).size).toBe(1);
    expect((await fetch(fresh)).status).toBe(200);
    expect((await encryptions()) - before).toBe(1);
  });
});

const WIDEVINE = 'edef8ba9-79d6-4ace-a3c8-27dcd51d21ed';
const KID0 = '6c5f5206-7d98-4808-84d8-94f419458a09';
const KID1 = '1a1b1c1d-2a2b-3c3d-4e4f-5a5b5c5d5e5f';
const key0 = Buffer.from(Array.from({ length: 16 }, (_, i) => i));
const key1 = Buffer.from(Array.from({ length: 16 }, (_, i) => 100 + i));

/** A key server's CPIX 2.3 answer: two keys for key periods 0 and 1, Widevine signalling for both. */
function cpixDocument(): string {
  const pssh = (kid: string) =>
    Buffer.from(
      writePssh({
        systemId: Buffer.from(WIDEVINE.replace(/-/g, ''), 'hex'),
        kids: [Buffer.from(kid.replace(/-/g, ''), 'hex')],
        data: Uint8Array.of(0x12, 0x10),
      }),
    ).toString('base64');
  return `<?xml version="1.0" encoding="UTF-8"?>
<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix" xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc" version="2.3">
  <cpix:ContentKeyList>
    <cpix:ContentKey kid="${KID0}"><cpix:Data><pskc:Secret><pskc:PlainValue>${key0.toString('base64')}</pskc:PlainValue></pskc:Secret></cpix:Data></cpix:ContentKey>
    <cpix:ContentKey kid="${KID1}"><cpix:Data><pskc:Secret><pskc:PlainValue>${key1.toString('base64')}</pskc:PlainValue></pskc:Secret></cpix:Data></cpix:ContentKey>
  </cpix:ContentKeyList>
  <cpix:DRMSystemList>
    <cpix:DRMSystem kid="${KID0}" systemId="${WIDEVINE}"><cpix:PSSH>${pssh(KID0)}</cpix:PSSH></cpix:DRMSystem>
    <cpix:DRMSystem kid="${KID1}" systemId="${WIDEVINE}"><cpix:PSSH>${pssh(KID1)}</cpix:PSSH></cpix:DRMSystem>
  </cpix:DRMSystemList>
  <cpix:ContentKeyPeriodList><cpix:ContentKeyPeriod id="p0" index="0"/><cpix:ContentKeyPeriod id="p1" index="1"/></cpix:ContentKeyPeriodList>
  <cpix:ContentKeyUsageRuleList>
    <cpix:ContentKeyUsageRule kid="${KID0}"><cpix:KeyPeriodFilter periodId="p0"/></cpix:ContentKeyUsageRule>
    <cpix:ContentKeyUsageRule kid="${KID1}"><cpix:KeyPeriodFilter periodId="p1"/></cpix:ContentKeyUsageRule>
  </cpix:ContentKeyUsageRuleList>
</cpix:CPIX>`;
}

const noRedis = await skipUnlessServer(6379, 'Redis', 'shared encrypted-bytes tests');

describe.skipIf(!ffmpeg || noRedis)('keys from a CPIX key server, encrypted bytes shared through Redis', { timeout: 180_000 }, () => {
  let keyServer: http.Server;
  const asked: string[] = [];
  let a: TestOrigin;
  let b: TestOrigin;
  let id: string;
  let token: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    keyServer = http.createServer((req, res) => {
      asked.push(req.url ?? '');
      if (req.headers.authorization !== 'Bearer kms-secret') {
        res.writeHead(401).end();
        return;
      }
      if (req.url?.startsWith('/cpix/broken-')) {
        res.writeHead(502).end();
        return;
      }
      if (!req.url?.startsWith('/cpix/known-')) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/xml' }).end(cpixDocument());
    });
    await new Promise<void>((resolve) => keyServer.listen(0, '127.0.0.1', resolve));
    env = {
      VOUGHT_KEY_CPIX_URL: `http://127.0.0.1:${(keyServer.address() as AddressInfo).port}/cpix/{videoId}`,
      VOUGHT_KEY_ROTATION: '2',
      VOUGHT_REDIS_URL: 'redis://127.0.0.1:6379',
      VOUGHT_KEY_CPIX_SECRET: 'kms-secret',
    };
    a = await startTestOrigin(env);
    b = await startTestOrigin(env, a.dataDir);
    id = `known-${Date.now().toString(36)}`;
    await makeReadyVideo(a, { seconds: 12, id });
    token = (await signPlaybackToken(await loadDevKeys(a.config.auth.keyDir), { videoId: id, ttlSeconds: 600 })).token;
  }, 180_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await new Promise<void>((resolve) => keyServer?.close(() => resolve()));
  });

  it("signals the key server's KIDs and DRM pssh per key period, and its keys decrypt the segments", async () => {
    const mpdUrl = `${a.url}/v1/videos/${id}/dash/manifest.mpd?encryption=cenc&token=${token}`;
    const mpd = await (await fetch(mpdUrl)).text();
    expect(asked.some((u) => u === `/cpix/${id}`)).toBe(true);
    expect(mpd.match(/<Period /g)).toHaveLength(2); // 3 segments of 4 s, rotation every 2
    expect(mpd).toContain(`cenc:default_KID="${KID0}"`);
    expect(mpd).toContain(`cenc:default_KID="${KID1}"`);
    expect(mpd).toContain(`schemeIdUri="urn:uuid:${WIDEVINE}"`);
    const { periods } = dashSegments(mpd, mpdUrl, 'v240');
    for (const [i, period] of periods.entries()) {
      const key = i === 0 ? key0 : key1;
      expect(await bytes(`${a.url}/v1/videos/${id}/keys/k${i}?token=${token}`)).toEqual(key);
      const init = await bytes(period.init);
      for (const url of period.media) {
        const decrypted = decryptSegment(await bytes(url), { ...segmentTargetOf(init), scheme: 'cenc', key });
        expect(Buffer.from(decrypted).equals(await storedBytes(a, url))).toBe(true);
      }
    }
    expect((await fetch(`${a.url}/v1/videos/${id}/keys/k2?token=${token}`)).status).toBe(404);
  });

  it('without VOUGHT_PUBLIC_URL the licence URL is root-relative, whatever Host the request names', async () => {
    const forged = await new Promise<string>((resolve, reject) => {
      const req = http.get(`${a.url}/v1/videos/${id}/dash/manifest.mpd?encryption=cenc`, { headers: { host: 'evil.example' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString()));
      });
      req.on('error', reject);
    });
    expect(forged).toContain(`<dashif:Laurl>/v1/videos/${id}/keys/clearkey</dashif:Laurl>`);
    expect(forged).not.toContain('evil.example');
    // and the next asker (any host) gets the same answer from the caches
    expect(await (await fetch(`${a.url}/v1/videos/${id}/dash/manifest.mpd?encryption=cenc`)).text()).toBe(forged);
  });

  it('a video the key server does not know: 404 with a JSON reason; a failing key server: 503', async () => {
    const other = await makeReadyVideo(a, { seconds: 4 });
    const res = await fetch(`${a.url}/v1/videos/${other}/v240/cenc-k0/s4000/0.m4s`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('keys.not_found');
    // a key server that fails: 503 with Retry-After, so players and edges retry
    const broken = await makeReadyVideo(a, { seconds: 4, id: `broken-${Date.now().toString(36)}` });
    const down = await fetch(`${a.url}/v1/videos/${broken}/dash/manifest.mpd?encryption=cenc`);
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('5');
    expect(((await down.json()) as { error: { code: string } }).error.code).toBe('keys.unavailable');
    // the key server refuses an origin with the wrong credentials: a server error, nothing served
    const wrong = await startTestOrigin({ ...env, VOUGHT_KEY_CPIX_SECRET: 'not-it' }, a.dataDir);
    try {
      const res = await fetch(`${wrong.url}/v1/videos/${id}/v240/cenc-k0/s4000/0.m4s`);
      expect(res.status).toBe(500);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('keys.invalid');
    } finally {
      await wrong.close();
    }
  });

  it('another origin serves the encrypted bytes one origin made, from Redis, without storage', async () => {
    const path = `/v1/videos/${id}/v240/cbcs-k1/s4000/122880.m4s`;
    const made = await bytes(`${a.url}${path}`);
    const index = parseMediaIndex(await a.adapters.store.readAll(videoKeys.index(id)));
    const file = path_.join(a.dataDir, 'objects', videoKeys.file(id, index.tracks.find((x) => x.id === 'v240')?.file as string));
    await fs.rename(file, `${file}.away`);
    try {
      await new Promise((r) => setTimeout(r, 50)); // the Redis write is not awaited by the response
      expect((await bytes(`${b.url}${path}`)).equals(made)).toBe(true);
      expect((await fetch(`${b.url}/v1/videos/${id}/v240/cbcs-k0/s4000/0.m4s`)).status).toBeGreaterThanOrEqual(400); // not in Redis: needs storage
    } finally {
      await fs.rename(`${file}.away`, file);
    }
  });
});

describe.skipIf(!ffmpeg)('keys delivered by a DRM only (VOUGHT_KEY_CLEARKEY=false)', { timeout: 120_000 }, () => {
  let t: TestOrigin;
  let id: string;
  beforeAll(async () => {
    t = await startTestOrigin({ VOUGHT_KEY_CLEARKEY: 'false' });
    id = await makeReadyVideo(t, { seconds: 4 });
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  it('never hands a key out: no key routes, no ClearKey in the MPD, no HLS scheme that needs a key URI', async () => {
    const base = `${t.url}/v1/videos/${id}`;
    const { token } = await signPlaybackToken(await loadDevKeys(t.config.auth.keyDir), { videoId: id, ttlSeconds: 60 });
    const mpd = await (await fetch(`${base}/dash/manifest.mpd?encryption=cenc&token=${token}`)).text();
    expect(mpd).toContain('value="cenc" cenc:default_KID=');
    expect(mpd).not.toContain('e2719d58-a985-b3c9-781a-b030af78d30e'); // the ClearKey system
    expect(mpd).not.toContain('Laurl');
    expect((await fetch(`${base}/keys/k0?token=${token}`)).status).toBe(404);
    expect((await fetch(`${base}/keys/clearkey?token=${token}`, { method: 'POST', body: '{"kids":[]}' })).status).toBe(404);
    const hls = await fetch(`${base}/hls/master.m3u8?encryption=aes-128`);
    expect(hls.status).toBe(400);
    expect(((await hls.json()) as { error: { message: string } }).error.message).toMatch(/needs key URIs/);
    expect((await fetch(`${base}/v240/cenc-k0/s4000/0.m4s`)).status).toBe(200);
  });
});
