// Real players in Debian's Chromium (playwright-core) play vought's just-in-time encryption: hls.js
// HLS AES-128 (key URIs behind the playback token), Shaka Player and dash.js DASH cenc with the W3C
// ClearKey CDM (licence URL from the MPD's dashif:Laurl, no licence configuration given to the
// players), Shaka DASH cbcs when Chromium's ClearKey supports it, keys rotating every segment across
// key-period boundaries (HLS key URIs, DASH Periods), and a clean failure without the token. Every
// case also proves that the player fetched the keys (or licences for the MPD's KIDs), fetched only
// encrypted segments and decoded frames, so a case cannot pass on clear media.
import { loadDevKeys, signPlaybackToken } from '@vought/auth';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeReadyVideo, startTestOrigin, type TestOrigin } from './harness.ts';
import { PAGE_HEAD, type PlayerPage, playersReady, startPlayerPage } from './player-harness.ts';

const ready = await playersReady();

// The page: one <video>, a player chosen by ?player=, state exposed on window for the test. No
// player is given a licence server or keys: the ClearKey licence URL comes from the MPD's
// dashif:Laurl (both Shaka and dash.js read it), the AES-128 key URI from the playlist.
// state.errors holds the player's errors that end playback (hls.js fatal, Shaka CRITICAL, dash.js
// errors and failed licence requests).
const page = `${PAGE_HEAD}
window.state = { errors: [], player: q.get('player') };
video.addEventListener('error', () => state.errors.push('video element: ' + (video.error && video.error.message)));
async function start() {
  const src = q.get('src');
  if (!src) return;
  if (state.player === 'hls') {
    const hls = new Hls({ capLevelToPlayerSize: false });
    hls.on(Hls.Events.ERROR, (_, d) => {
      const text = 'hls.js: ' + d.details + (d.response ? ' ' + d.response.code : '');
      if (d.fatal) state.errors.push(text);
    });
    hls.loadSource(src); hls.attachMedia(video);
  } else if (state.player === 'dash') {
    const player = dashjs.MediaPlayer().create();
    player.updateSettings({ debug: { logLevel: dashjs.Debug.LOG_LEVEL_NONE } });
    const onError = (name) => (e) => {
      const error = e.error && (e.error.message || e.error.code);
      if (name !== 'error' && !e.error) return;
      const text = 'dash.js ' + name + ': ' + JSON.stringify(error);
      state.errors.push(text);
    };
    player.on(dashjs.MediaPlayer.events.ERROR, onError('error'));
    player.on('public_keySystemSelected', onError('keySystemSelected'));
    player.on('public_licenseRequestComplete', onError('licenseRequestComplete'));
    player.on('public_keyError', onError('keyError'));
    player.initialize(video, src, false);
  } else {
    shaka.polyfill.installAll();
    const player = new shaka.Player();
    await player.attach(video);
    player.addEventListener('error', (e) => {
      const text = 'shaka: ' + e.detail.code + (e.detail.data && e.detail.data[0] && e.detail.data[0].code ? ' (' + e.detail.data[0].code + ')' : '');
      if (e.detail.severity === shaka.util.Error.Severity.CRITICAL) state.errors.push(text);
    });
    await player.load(src).catch((e) => state.errors.push('shaka load: ' + e.code));
  }
  video.playbackRate = 2;
  await video.play().catch((e) => state.errors.push('play: ' + e.message));
}
// Whether Chromium's ClearKey CDM takes an encryption scheme for H.264 video (EME encryptionScheme).
window.clearKeySupports = (scheme) => navigator.requestMediaKeySystemAccess('org.w3.clearkey', [{
  initDataTypes: ['cenc'],
  videoCapabilities: [{ contentType: 'video/mp4; codecs="avc1.64001e"', encryptionScheme: scheme }],
}]).then(() => 'supported', (e) => 'rejected: ' + e.name + ': ' + e.message);
start().catch((e) => state.errors.push('start: ' + e.message));
</script></body></html>`;

interface PageState {
  errors: string[];
}

interface Traffic {
  /** Key and licence requests (no preflights): URL, method and, for licences, the KIDs asked for (base64url). */
  keys: Array<{ url: string; method: string; kids: string[] }>;
  /** Key and licence responses' statuses, in order. */
  statuses: number[];
  /** Media segment (.m4s) URLs requested from the origin. */
  segments: string[];
}

const isKeyUrl = (url: string) => /\/v1\/videos\/[^/]+\/keys\/(k\d+|clearkey)(\?|$)/.test(url);
/** An encrypted object's URL names its scheme and key period: {track}/{scheme}-k{n}/… */
const keyPeriodOf = (url: string, scheme: string) => new RegExp(`/${scheme}-k(\\d+)/`).exec(url)?.[1];

/** The MPD's cenc:default_KID values in document order (one per Period and AdaptationSet), as base64url like ClearKey. */
async function mpdKids(url: string): Promise<string[]> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  const mpd = await res.text();
  return [...mpd.matchAll(/cenc:default_KID="([0-9a-f-]{36})"/g)].map((m) =>
    Buffer.from((m[1] as string).replace(/-/g, ''), 'hex').toString('base64url'),
  );
}

describe.skipIf(!ready)('real players play encrypted streams in Chromium', { timeout: 120_000 }, () => {
  let t: TestOrigin;
  let id: string;
  let rotating: string;
  let token: string;
  let rotatingToken: string;
  let players: PlayerPage;

  beforeAll(async () => {
    // absolute licence URLs: the page is on another origin than the media
    t = await startTestOrigin({}, undefined, { publicUrl: true });
    [id, rotating] = await Promise.all([makeReadyVideo(t, { seconds: 16 }), makeReadyVideo(t, { seconds: 16 })]);
    // keys rotate every (4 s) segment: past 10 s a player has crossed at least 2 key-period boundaries
    await t.adapters.catalog.updateVideo(rotating, { encryption: { schemes: ['aes-128', 'cenc', 'sample-aes'], rotationSegments: 1 } });
    const keys = await loadDevKeys(t.config.auth.keyDir);
    token = (await signPlaybackToken(keys, { videoId: id, ttlSeconds: 600 })).token;
    rotatingToken = (await signPlaybackToken(keys, { videoId: rotating, ttlSeconds: 600 })).token;
    players = await startPlayerPage(page);
  }, 120_000);

  afterAll(async () => {
    await players?.close();
    await t?.close();
  });

  /** Opens the page with `player` on `src` (none: the page only), recording key, licence and segment traffic. */
  async function open(player: 'hls' | 'dash' | 'shaka', src?: string): Promise<{ tab: Page; traffic: Traffic }> {
    const tab = await players.browser.newPage();
    const traffic: Traffic = { keys: [], statuses: [], segments: [] };
    tab.on('request', (r) => {
      const url = r.url();
      if (r.method() === 'OPTIONS') return;
      if (url.startsWith(t.url) && new URL(url).pathname.endsWith('.m4s')) traffic.segments.push(url);
      if (!isKeyUrl(url)) return;
      let kids: string[] = [];
      if (r.method() === 'POST') {
        try {
          kids = (JSON.parse(r.postData() ?? '{}') as { kids?: string[] }).kids ?? [];
        } catch {
          kids = [];
        }
      }
      traffic.keys.push({ url, method: r.method(), kids });
    });
    tab.on('response', (r) => {
      if (isKeyUrl(r.url()) && r.request().method() !== 'OPTIONS') traffic.statuses.push(r.status());
    });
    await tab.goto(`${players.url}?player=${player}${src ? `&src=${encodeURIComponent(src)}` : ''}`);
    return { tab, traffic };
  }

  /**
   * Waits until playback passes 10 s (or an error ends it) and asserts it did so cleanly, on encrypted
   * media only (every .m4s under its {scheme}-k{n} directory, except HLS AES-128's clear init), with
   * every key or licence request answered 200. Returns the key periods of the segments fetched.
   */
  async function playsEncryptedPast10s(tab: Page, traffic: Traffic, scheme: 'aes-128' | 'cenc' | 'cbcs'): Promise<Set<string>> {
    // Page-side expressions as strings: this file is compiled without the DOM library.
    await tab.waitForFunction('document.getElementById("v").currentTime > 1 || state.errors.length > 0', null, { timeout: 30_000 });
    await tab.waitForFunction('document.getElementById("v").currentTime > 10 || state.errors.length > 0', null, { timeout: 45_000 });
    const state = (await tab.evaluate('state')) as PageState;
    const time = (await tab.evaluate('document.getElementById("v").currentTime')) as number;
    const frames = (await tab.evaluate('document.getElementById("v").getVideoPlaybackQuality().totalVideoFrames')) as number;
    expect(state.errors).toEqual([]);
    expect(time).toBeGreaterThan(10);
    expect(frames).toBeGreaterThan(150); // 30 fps: the frames were decrypted and decoded, not skipped
    expect(traffic.segments.length).toBeGreaterThan(0);
    expect(traffic.segments.filter((u) => keyPeriodOf(u, scheme) === undefined)).toEqual([]);
    expect(traffic.keys.length).toBeGreaterThan(0);
    expect(traffic.statuses.length).toBeGreaterThan(0);
    expect(traffic.statuses.filter((s) => s !== 200)).toEqual([]);
    return new Set(traffic.segments.map((u) => keyPeriodOf(u, scheme) as string));
  }

  const hlsSrc = (video: string, tok: string) => `${t.url}/v1/videos/${video}/hls/master.m3u8?encryption=aes-128&token=${tok}`;
  const dashSrc = (video: string, scheme: string, tok: string) =>
    `${t.url}/v1/videos/${video}/dash/manifest.mpd?encryption=${scheme}&token=${tok}`;
  const licenceKids = (traffic: Traffic) =>
    new Set(traffic.keys.filter((r) => r.method === 'POST' && /\/keys\/clearkey\?token=/.test(r.url)).flatMap((r) => r.kids));

  it('hls.js plays HLS AES-128: fetches the key URI with the token, passes 10 s, no error', async () => {
    const { tab, traffic } = await open('hls', hlsSrc(id, token));
    try {
      expect([...(await playsEncryptedPast10s(tab, traffic, 'aes-128'))]).toEqual(['0']);
      expect(traffic.keys.every((r) => r.method === 'GET' && /\/keys\/k0\?token=/.test(r.url))).toBe(true);
    } finally {
      await tab.close();
    }
  });

  it.each([
    ['Shaka Player', 'shaka'],
    ['dash.js', 'dash'],
  ] as const)('%s plays DASH cenc with ClearKey, the licence URL from the MPD: passes 10 s, no error', async (_name, player) => {
    const src = dashSrc(id, 'cenc', token);
    const { tab, traffic } = await open(player, src);
    try {
      await playsEncryptedPast10s(tab, traffic, 'cenc');
      // the licence was asked for the KIDs the MPD signals
      const kids = licenceKids(traffic);
      expect([...kids]).toEqual(expect.arrayContaining([...new Set(await mpdKids(src))]));
    } finally {
      await tab.close();
    }
  });

  it('Shaka Player plays DASH cbcs with ClearKey when Chromium ClearKey supports cbcs', async ({ skip }) => {
    const probe = await open('shaka');
    let support: string;
    try {
      support = (await probe.tab.evaluate('clearKeySupports("cbcs")')) as string;
      // the probe itself works: cenc is what the cases above played
      expect(await probe.tab.evaluate('clearKeySupports("cenc")')).toBe('supported');
    } finally {
      await probe.tab.close();
    }
    skip(support !== 'supported', `Chromium's ClearKey CDM refuses encryptionScheme cbcs for avc1: requestMediaKeySystemAccess ${support}`);
    const src = dashSrc(id, 'cbcs', token);
    const { tab, traffic } = await open('shaka', src);
    try {
      await playsEncryptedPast10s(tab, traffic, 'cbcs');
      expect([...licenceKids(traffic)]).toEqual(expect.arrayContaining([...new Set(await mpdKids(src))]));
    } finally {
      await tab.close();
    }
  });

  it('Shaka Player plays HLS SAMPLE-AES (fMP4 cbcs, KEYFORMAT identity) with keys rotating every segment', async ({ skip }) => {
    const probe = await open('shaka');
    let support: string;
    try {
      support = (await probe.tab.evaluate('clearKeySupports("cbcs")')) as string;
    } finally {
      await probe.tab.close();
    }
    skip(support !== 'supported', `Chromium's ClearKey CDM refuses encryptionScheme cbcs for avc1: requestMediaKeySystemAccess ${support}`);
    // Shaka turns the identity key URI into a ClearKey licence for the init segment's KID
    const src = `${t.url}/v1/videos/${rotating}/hls/master.m3u8?encryption=sample-aes&token=${rotatingToken}`;
    const { tab, traffic } = await open('shaka', src);
    try {
      const periods = await playsEncryptedPast10s(tab, traffic, 'cbcs');
      expect([...periods]).toEqual(expect.arrayContaining(['0', '1', '2']));
      const keyPeriods = new Set(traffic.keys.map((r) => /\/keys\/k(\d+)\?token=/.exec(r.url)?.[1]));
      expect([...keyPeriods]).toEqual(expect.arrayContaining(['0', '1', '2']));
    } finally {
      await tab.close();
    }
  });

  it('hls.js plays HLS AES-128 with keys rotating every segment past 2 key boundaries', async () => {
    const { tab, traffic } = await open('hls', hlsSrc(rotating, rotatingToken));
    try {
      const periods = await playsEncryptedPast10s(tab, traffic, 'aes-128');
      // 0-4 s under k0, 4-8 s under k1, 8-12 s under k2: each period's segments and key were fetched
      expect([...periods]).toEqual(expect.arrayContaining(['0', '1', '2']));
      const keyPeriods = new Set(traffic.keys.map((r) => /\/keys\/k(\d+)\?token=/.exec(r.url)?.[1]));
      expect([...keyPeriods]).toEqual(expect.arrayContaining(['0', '1', '2']));
    } finally {
      await tab.close();
    }
  });

  it('Shaka Player plays DASH cenc with one Period (and KID) per segment past 2 key boundaries', async () => {
    const src = dashSrc(rotating, 'cenc', rotatingToken);
    const { tab, traffic } = await open('shaka', src);
    try {
      const periods = await playsEncryptedPast10s(tab, traffic, 'cenc');
      expect([...periods]).toEqual(expect.arrayContaining(['0', '1', '2']));
      // one KID per Period (audio and video share it): the first three Periods' KIDs were licensed
      const signalled = [...new Set(await mpdKids(src))];
      expect(signalled.length).toBe(4);
      expect([...licenceKids(traffic)]).toEqual(expect.arrayContaining(signalled.slice(0, 3)));
    } finally {
      await tab.close();
    }
  });

  it.each([
    ['hls.js', 'hls', 'hls/master.m3u8', /\/keys\/k0$/, /^hls\.js: keyLoadError 401$/],
    ['Shaka Player', 'shaka', 'dash/manifest.mpd', /\/keys\/clearkey$/, /^shaka: 6007\b/], // LICENSE_REQUEST_FAILED
    ['dash.js', 'dash', 'dash/manifest.mpd', /\/keys\/clearkey$/, /^dash\.js error: .*\(401\)/],
  ] as const)(
    '%s without the token: the manifest loads, the key request is refused (401), the player reports an error and does not play',
    async (_name, player, manifest, keyPath, error) => {
      // an encrypted public video's manifest is served without a token (the policy's first scheme); its key URIs then carry none
      const src = `${t.url}/v1/videos/${rotating}/${manifest}`;
      const res = await fetch(src);
      expect(res.status).toBe(200);
      expect(await res.text()).not.toContain('token=');
      const { tab, traffic } = await open(player, src);
      try {
        await tab.waitForFunction('state.errors.length > 0', null, { timeout: 45_000 });
        await tab.waitForTimeout(1000);
        const state = (await tab.evaluate('state')) as PageState;
        expect(state.errors.some((e) => error.test(e))).toBe(true);
        expect(traffic.keys.length).toBeGreaterThan(0);
        expect(traffic.keys.every((r) => keyPath.test(r.url))).toBe(true);
        expect(traffic.statuses.length).toBeGreaterThan(0);
        expect(traffic.statuses.filter((s) => s !== 401)).toEqual([]);
        expect((await tab.evaluate('document.getElementById("v").currentTime')) as number).toBeLessThan(1);
      } finally {
        await tab.close();
      }
    },
  );
});
