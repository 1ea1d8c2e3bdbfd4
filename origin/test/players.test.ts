// Real players in Debian's Chromium (playwright-core): hls.js, dash.js and Shaka Player play vought's
// HLS and DASH of one stored copy; playback starts, passes 10 s, raises no error, and switches
// quality when the test forces it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeReadyVideo, startTestOrigin, type TestOrigin } from './harness.ts';
import { PAGE_HEAD, type PlayerPage, playersReady, startPlayerPage } from './player-harness.ts';

const ready = await playersReady();

// The page: one <video>, a player chosen by ?player=, state exposed on window for the test.
const page = `${PAGE_HEAD}
window.state = { errors: [], heights: [], switched: null, player: q.get('player') };
video.addEventListener('error', () => state.errors.push('video element: ' + (video.error && video.error.message)));
video.addEventListener('resize', () => state.heights.push(video.videoHeight));
async function start() {
  const src = q.get('src');
  if (state.player === 'hls') {
    const hls = new Hls({ capLevelToPlayerSize: false });
    hls.on(Hls.Events.ERROR, (_, d) => { if (d.fatal) state.errors.push('hls.js: ' + d.details); });
    hls.on(Hls.Events.LEVEL_SWITCHED, (_, d) => { state.level = hls.levels[d.level].height; });
    hls.loadSource(src); hls.attachMedia(video);
    window.forceSwitch = () => { const target = hls.currentLevel === 0 ? hls.levels.length - 1 : 0; state.want = hls.levels[target].height; hls.currentLevel = target; };
  } else if (state.player === 'dash') {
    const player = dashjs.MediaPlayer().create();
    player.updateSettings({ debug: { logLevel: dashjs.Debug.LOG_LEVEL_NONE } });
    player.on(dashjs.MediaPlayer.events.ERROR, (e) => state.errors.push('dash.js: ' + JSON.stringify(e.error && (e.error.message || e.error.code))));
    player.on(dashjs.MediaPlayer.events.QUALITY_CHANGE_RENDERED, (e) => { if (e.mediaType === 'video') state.level = e.newRepresentation && e.newRepresentation.height; });
    player.initialize(video, src, false);
    window.forceSwitch = () => {
      player.updateSettings({ streaming: { abr: { autoSwitchBitrate: { video: false } } } });
      const reps = player.getRepresentationsByType('video');
      const current = player.getCurrentRepresentationForType('video');
      const target = reps.find((r) => r.height !== current.height);
      state.want = target.height;
      player.setRepresentationForTypeByIndex('video', reps.indexOf(target), true);
    };
  } else {
    shaka.polyfill.installAll();
    const player = new shaka.Player();
    await player.attach(video);
    player.addEventListener('error', (e) => state.errors.push('shaka: ' + e.detail.code));
    player.addEventListener('variantchanged', () => { const t = player.getVariantTracks().find((t) => t.active); state.level = t && t.height; });
    player.addEventListener('adaptation', () => { const t = player.getVariantTracks().find((t) => t.active); state.level = t && t.height; });
    await player.load(src).catch((e) => state.errors.push('shaka load: ' + e.code));
    window.forceSwitch = () => {
      player.configure({ abr: { enabled: false } });
      const tracks = player.getVariantTracks();
      const active = tracks.find((t) => t.active);
      const target = tracks.find((t) => t.height !== active.height);
      state.want = target.height;
      player.selectVariantTrack(target, true);
    };
  }
  video.playbackRate = 2;
  await video.play().catch((e) => state.errors.push('play: ' + e.message));
}
start().catch((e) => state.errors.push('start: ' + e.message));
</script></body></html>`;

describe.skipIf(!ready)('real players in Chromium', { timeout: 120_000 }, () => {
  let t: TestOrigin;
  let id: string;
  let players: PlayerPage;

  beforeAll(async () => {
    t = await startTestOrigin();
    id = await makeReadyVideo(t, { seconds: 16 });
    players = await startPlayerPage(page);
  }, 120_000);

  afterAll(async () => {
    await players?.close();
    await t?.close();
  });

  const cases: Array<[string, 'hls' | 'dash' | 'shaka', string]> = [
    ['hls.js plays HLS', 'hls', 'hls/master.m3u8'],
    ['dash.js plays DASH', 'dash', 'dash/manifest.mpd'],
    ['Shaka Player plays HLS', 'shaka', 'hls/master.m3u8'],
    ['Shaka Player plays DASH', 'shaka', 'dash/manifest.mpd'],
  ];

  it.each(cases)('%s: starts, passes 10 s, no error, switches quality on demand', async (_name, player, manifest) => {
    const tab = await players.browser.newPage();
    try {
      const src = `${t.url}/v1/videos/${id}/${manifest}`;
      await tab.goto(`${players.url}?player=${player}&src=${encodeURIComponent(src)}`);
      // Page-side expressions as strings: this file is compiled without the DOM library.
      await tab.waitForFunction('document.getElementById("v").currentTime > 1 || state.errors.length > 0', null, { timeout: 30_000 });
      await tab.evaluate('forceSwitch()');
      await tab.waitForFunction('document.getElementById("v").currentTime > 10 || state.errors.length > 0', null, { timeout: 45_000 });
      await tab.waitForFunction(
        'state.errors.length > 0 || (state.want !== undefined && (state.level === state.want || state.heights.at(-1) === state.want))',
        null,
        { timeout: 30_000 },
      );
      const state = await tab.evaluate('state');
      const time = (await tab.evaluate('document.getElementById("v").currentTime')) as number;
      expect((state as { errors: string[] }).errors).toEqual([]);
      expect(time).toBeGreaterThan(10);
      const s = state as { want: number; level: number; heights: number[] };
      expect([s.level, s.heights.at(-1)]).toContain(s.want);
    } finally {
      await tab.close();
    }
  });
});
