// The player: hls.js (loaded on the first watch page) under custom, keyboard-friendly controls:
// play, a seek bar showing storyboard thumbnails (thumbs/storyboard.vtt + sprite) where the
// pointer is or the keyboard seeks, time, mute and volume, quality (Auto or a rendition),
// subtitles, audio language, speed and full screen. Safari plays HLS natively (its own controls).
import type HlsType from 'hls.js';
import { h, uid } from './dom.ts';
import { clock, spoken } from './format.ts';

type HlsClass = typeof HlsType;

let hlsLoading: Promise<HlsClass | null> | undefined;
function loadHls(): Promise<HlsClass | null> {
  const w = window as unknown as { Hls?: HlsClass };
  if (w.Hls) return Promise.resolve(w.Hls);
  hlsLoading ??= new Promise((resolve) => {
    const script = h('script', { src: document.body.dataset.hls ?? '' });
    script.addEventListener('load', () => resolve(w.Hls ?? null));
    script.addEventListener('error', () => {
      hlsLoading = undefined;
      resolve(null);
    });
    document.head.appendChild(script);
  });
  return hlsLoading;
}

interface Tile {
  start: number;
  end: number;
  url: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

function seconds(stamp: string): number {
  const parts = stamp.trim().split(':').map(Number);
  return parts.reduce((total, part) => total * 60 + part, 0);
}

/** The storyboard's cues: time range → sprite URL and tile rectangle. */
export function parseStoryboard(vtt: string, base: string, query: string): Tile[] {
  const tiles: Tile[] = [];
  const lines = vtt.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const m = /^([\d:.]+)\s+-->\s+([\d:.]+)/.exec(lines[i] ?? '');
    const target = lines[i + 1];
    if (!m || !target) continue;
    const [file, hash] = target.trim().split('#xywh=');
    const xywh = (hash ?? '').split(',').map(Number);
    if (!file || xywh.length !== 4 || xywh.some((n) => !Number.isFinite(n))) continue;
    const url = new URL(file, base);
    if (query) url.search = query;
    tiles.push({
      start: seconds(m[1] ?? '0'),
      end: seconds(m[2] ?? '0'),
      url: url.href,
      x: xywh[0] ?? 0,
      y: xywh[1] ?? 0,
      w: xywh[2] ?? 0,
      h: xywh[3] ?? 0,
    });
  }
  return tiles;
}

export interface PlayerOptions {
  src: string;
  title: string;
  poster?: string | undefined;
  storyboard?: string | undefined;
  /** Query (token=...) for the sprite of a private video. */
  query?: string;
  duration?: number | null;
  autoplay?: boolean;
}

export interface Player {
  element: HTMLElement;
  video: HTMLVideoElement;
  destroy(): void;
}

const ICONS = {
  play: 'M8 5v14l11-7z',
  pause: 'M6 5h4v14H6zm8 0h4v14h-4z',
  volume: 'M3 9v6h4l5 5V4L7 9H3zm13.5 3A4.5 4.5 0 0 0 14 8v8a4.5 4.5 0 0 0 2.5-4z',
  muted: 'M3 9v6h4l5 5V4L7 9H3zm18.3-1.3-1.4-1.4L17 9.2l-2.9-2.9-1.4 1.4 2.9 2.9-2.9 2.9 1.4 1.4 2.9-2.9 2.9 2.9 1.4-1.4-2.9-2.9z',
  full: 'M5 5h5v2H7v3H5zm9 0h5v5h-2V7h-3zM5 14h2v3h3v2H5zm12 0h2v5h-5v-2h3z',
} as const;

/** An icon (inline SVG: no font needed) set as a button's only child. */
function setIcon(button: HTMLElement, name: keyof typeof ICONS): void {
  if (button.dataset.icon === name) return;
  button.dataset.icon = name;
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '22');
  svg.setAttribute('height', '22');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', ICONS[name]);
  path.setAttribute('fill', 'currentColor');
  svg.appendChild(path);
  button.replaceChildren(svg);
}

/** "fra" → "French" (the browser's language names), else the name the manifest gives. */
function trackName(track: { name?: string; lang?: string }, index: number): string {
  const lang = track.lang ?? '';
  let language = '';
  try {
    language = lang ? (new Intl.DisplayNames([navigator.language, 'en'], { type: 'language' }).of(lang) ?? '') : '';
  } catch {
    language = ''; // not a language code
  }
  if (track.name && track.name !== lang) return track.name;
  return language || lang || `Track ${index + 1}`;
}

const label = (text: string, control: HTMLSelectElement) => {
  const id = uid('pl');
  control.id = id;
  return h('div', { class: 'player-select' }, h('label', { for: id }, text), control);
};

export function createPlayer(options: PlayerOptions): Player {
  const video = h('video', {
    playsinline: true,
    preload: 'metadata',
    'data-testid': 'player',
    'aria-label': `Video: ${options.title}`,
    poster: options.poster,
  });
  const wrapper = h('div', { class: 'player', role: 'region', 'aria-label': 'Video player' });
  const error = h('p', { class: 'player-error', role: 'alert', hidden: true });
  const play = h('button', { class: 'pbtn', type: 'button', 'aria-label': 'Play', 'data-testid': 'play' });
  const seek = h('input', { type: 'range', class: 'seek', min: 0, max: options.duration ?? 0, step: 0.1, value: 0, 'aria-label': 'Seek' });
  const time = h('span', { class: 'time', 'aria-hidden': 'true' }, `0:00 / ${clock(options.duration ?? 0)}`);
  const mute = h('button', { class: 'pbtn', type: 'button', 'aria-label': 'Mute', 'aria-pressed': 'false' });
  const volume = h('input', { type: 'range', class: 'volume', min: 0, max: 1, step: 0.05, value: 1, 'aria-label': 'Volume' });
  const quality = h('select', null, h('option', { value: '-1' }, 'Auto'));
  const subtitles = h('select', null, h('option', { value: '-1' }, 'Off'));
  const audio = h('select');
  const speed = h(
    'select',
    null,
    [0.5, 0.75, 1, 1.25, 1.5, 2].map((r) => h('option', { value: r, selected: r === 1 }, `${r}×`)),
  );
  const full = h('button', { class: 'pbtn', type: 'button', 'aria-label': 'Full screen' });
  setIcon(play, 'play');
  setIcon(mute, 'volume');
  setIcon(full, 'full');
  const qualityBox = label('Quality', quality);
  const subtitlesBox = label('Subtitles', subtitles);
  const audioBox = label('Audio', audio);
  subtitlesBox.hidden = true;
  audioBox.hidden = true;
  qualityBox.hidden = true;
  const preview = h(
    'div',
    { class: 'preview', hidden: true, 'aria-hidden': 'true' },
    h('div', { class: 'preview-img' }),
    h('span', { class: 'preview-time' }),
  );
  const seekWrap = h('div', { class: 'seek-wrap' }, seek, preview);
  const controls = h(
    'div',
    { class: 'controls' },
    seekWrap,
    h(
      'div',
      { class: 'control-row' },
      play,
      time,
      mute,
      volume,
      h('span', { class: 'spacer' }),
      qualityBox,
      subtitlesBox,
      audioBox,
      label('Speed', speed),
      full,
    ),
  );
  wrapper.append(video, error, controls);

  let hls: HlsType | null = null;
  let tiles: Tile[] = [];
  let destroyed = false;
  let seeking = false;

  const showError = (message: string) => {
    error.textContent = message;
    error.hidden = false;
  };

  // ---- state → controls
  const duration = () => (Number.isFinite(video.duration) && video.duration > 0 ? video.duration : (options.duration ?? 0));
  const sync = () => {
    setIcon(play, video.paused ? 'play' : 'pause');
    play.setAttribute('aria-label', video.paused ? 'Play' : 'Pause');
    const d = duration();
    seek.max = String(d);
    if (!seeking) seek.value = String(video.currentTime);
    seek.setAttribute('aria-valuetext', `${spoken(video.currentTime)} of ${spoken(d)}`);
    time.textContent = `${clock(video.currentTime)} / ${clock(d)}`;
    setIcon(mute, video.muted || video.volume === 0 ? 'muted' : 'volume');
    mute.setAttribute('aria-label', video.muted ? 'Unmute' : 'Mute');
    mute.setAttribute('aria-pressed', String(video.muted));
    wrapper.classList.toggle('paused', video.paused);
  };
  for (const e of ['play', 'pause', 'timeupdate', 'durationchange', 'volumechange', 'loadedmetadata']) video.addEventListener(e, sync);
  video.addEventListener('error', () => showError(`The video cannot be played (${video.error?.message || `error ${video.error?.code}`}).`));

  const toggle = () => {
    if (video.paused) video.play().catch((e: Error) => showError(`Playback did not start: ${e.message}`));
    else video.pause();
  };
  play.addEventListener('click', toggle);
  video.addEventListener('click', toggle);
  mute.addEventListener('click', () => {
    video.muted = !video.muted;
  });
  volume.addEventListener('input', () => {
    video.volume = Number(volume.value);
    video.muted = video.volume === 0;
  });
  speed.addEventListener('change', () => {
    video.playbackRate = Number(speed.value);
  });
  full.addEventListener('click', () => {
    if (document.fullscreenElement) void document.exitFullscreen();
    else void wrapper.requestFullscreen?.().catch(() => {});
  });

  // ---- seek bar with storyboard previews
  const showPreview = (at: number, fraction: number) => {
    const tile = tiles.find((t) => at >= t.start && at < t.end) ?? tiles.at(-1);
    preview.hidden = false;
    const img = preview.firstElementChild as HTMLElement;
    img.hidden = !tile;
    if (tile) {
      img.style.width = `${tile.w}px`;
      img.style.height = `${tile.h}px`;
      img.style.backgroundImage = `url("${tile.url}")`;
      img.style.backgroundPosition = `-${tile.x}px -${tile.y}px`;
    }
    (preview.lastElementChild as HTMLElement).textContent = clock(at);
    const width = seekWrap.clientWidth;
    const half = (tile?.w ?? 60) / 2;
    preview.style.left = `${Math.min(Math.max(fraction * width, half), width - half)}px`;
  };
  seek.addEventListener('pointermove', (e) => {
    const rect = seek.getBoundingClientRect();
    const fraction = Math.min(1, Math.max(0, (e.clientX - rect.left) / rect.width));
    showPreview(fraction * duration(), fraction);
  });
  seek.addEventListener('pointerleave', () => {
    if (!seeking) preview.hidden = true;
  });
  seek.addEventListener('input', () => {
    seeking = true;
    const at = Number(seek.value);
    showPreview(at, duration() ? at / duration() : 0);
  });
  seek.addEventListener('change', () => {
    video.currentTime = Number(seek.value);
    seeking = false;
    setTimeout(() => {
      if (document.activeElement !== seek) preview.hidden = true;
    }, 600);
  });
  seek.addEventListener('blur', () => {
    preview.hidden = true;
  });

  // keyboard: space/k play, ←/→ 5 s, j/l 10 s, m mute, f full screen (not while in a field)
  wrapper.addEventListener('keydown', (e) => {
    const target = e.target as HTMLElement;
    if (target.tagName === 'SELECT' || (target.tagName === 'INPUT' && target !== seek) || e.ctrlKey || e.metaKey || e.altKey) return;
    const key = e.key.toLowerCase();
    const jump = (by: number) => {
      video.currentTime = Math.min(Math.max(0, video.currentTime + by), duration());
    };
    if ((key === ' ' && target.tagName !== 'BUTTON') || key === 'k') toggle();
    else if (key === 'arrowleft' && target !== seek) jump(-5);
    else if (key === 'arrowright' && target !== seek) jump(5);
    else if (key === 'j') jump(-10);
    else if (key === 'l') jump(10);
    else if (key === 'm') video.muted = !video.muted;
    else if (key === 'f') full.click();
    else return;
    e.preventDefault();
  });

  if (options.storyboard) {
    fetch(options.storyboard)
      .then((r) => (r.ok ? r.text() : ''))
      .then((text) => {
        tiles = parseStoryboard(text, options.storyboard as string, options.query ?? '');
        // warm the sprite, so the first hover shows it
        const first = tiles[0];
        if (first) new Image().src = first.url;
      })
      .catch(() => {});
  }

  // ---- the engine
  void (async () => {
    const Hls = await loadHls();
    if (destroyed) return;
    if (Hls?.isSupported()) {
      const engine = new Hls({ capLevelToPlayerSize: true, enableWorker: true });
      hls = engine;
      engine.on(Hls.Events.ERROR, (_event, data) => {
        if (!data.fatal) return;
        if (data.type === Hls.ErrorTypes.NETWORK_ERROR && data.response?.code !== 401 && data.response?.code !== 404) engine.startLoad();
        else if (data.type === Hls.ErrorTypes.MEDIA_ERROR) engine.recoverMediaError();
        else showError(`The video cannot be played (${data.details}${data.response?.code ? `, HTTP ${data.response.code}` : ''}).`);
      });
      engine.on(Hls.Events.MANIFEST_PARSED, () => {
        const levels = engine.levels
          .map((l, i) => ({ i, height: l.height, bitrate: l.bitrate }))
          .sort((a, b) => b.height - a.height || b.bitrate - a.bitrate);
        quality.append(...levels.map((l) => h('option', { value: l.i }, `${l.height}p`)));
        qualityBox.hidden = levels.length < 2;
      });
      engine.on(Hls.Events.LEVEL_SWITCHED, (_event, data) => {
        const auto = quality.options[0];
        if (auto) auto.textContent = engine.autoLevelEnabled ? `Auto (${engine.levels[data.level]?.height ?? '?'}p)` : 'Auto';
      });
      quality.addEventListener('change', () => {
        engine.currentLevel = Number(quality.value);
      });
      const fillTracks = () => {
        subtitles.textContent = '';
        subtitles.append(
          h('option', { value: '-1' }, 'Off'),
          ...engine.subtitleTracks.map((t, i) => h('option', { value: i, selected: i === engine.subtitleTrack }, trackName(t, i))),
        );
        subtitlesBox.hidden = engine.subtitleTracks.length === 0;
        audio.textContent = '';
        audio.append(...engine.audioTracks.map((t, i) => h('option', { value: i, selected: i === engine.audioTrack }, trackName(t, i))));
        audioBox.hidden = engine.audioTracks.length < 2;
      };
      engine.on(Hls.Events.SUBTITLE_TRACKS_UPDATED, fillTracks);
      engine.on(Hls.Events.AUDIO_TRACKS_UPDATED, fillTracks);
      engine.on(Hls.Events.MANIFEST_PARSED, fillTracks);
      subtitles.addEventListener('change', () => {
        engine.subtitleTrack = Number(subtitles.value);
        engine.subtitleDisplay = Number(subtitles.value) >= 0;
      });
      audio.addEventListener('change', () => {
        engine.audioTrack = Number(audio.value);
      });
      engine.loadSource(options.src);
      engine.attachMedia(video);
    } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
      video.controls = true; // native HLS (Safari): its own controls, with its own menus
      controls.hidden = true;
      video.src = options.src;
    } else {
      showError('This browser cannot play HLS.');
      return;
    }
    sync();
    if (options.autoplay) {
      // a browser may refuse autoplay (then the Play button); a play() cut short by hls.js
      // re-attaching the media (AbortError) is tried again once the media can play
      video.play().catch((error: Error) => {
        if (error.name === 'AbortError') video.addEventListener('canplay', () => void video.play().catch(() => sync()), { once: true });
        sync();
      });
    }
  })();

  return {
    element: wrapper,
    video,
    destroy() {
      destroyed = true;
      hls?.destroy();
      video.removeAttribute('src');
      video.load();
    },
  };
}
