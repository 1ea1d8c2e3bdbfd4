// The watch page: the player (a private video plays through a playback token the page asks for),
// title, description and tags, the owner's links to manage it, and related videos. A video that is
// not ready yet shows its encode progress live and turns into the player when it is.
import { ApiFailure, absolute, playbackToken, type Video, videos } from './api.ts';
import { canManage, session } from './auth.ts';
import { statusBadge, videoCard } from './cards.ts';
import { h, replace } from './dom.ts';
import { ago, STATUS_LABELS } from './format.ts';
import { createPlayer, type Player } from './player.ts';
import { navigate, type Page } from './router.ts';
import { followEvents } from './sse.ts';

/** A video whose policy allows no scheme the console's player can play. */
function encryptedOnly(main: HTMLElement, title: string, schemes: readonly string[]): void {
  replace(
    main,
    h(
      'div',
      { class: 'narrow stack', 'data-testid': 'encrypted-only' },
      h('h1', { tabindex: '-1' }, title),
      h(
        'p',
        null,
        `This video is delivered encrypted with ${schemes.join(', ')} only. This page plays HLS AES-128; play it with a player that supports the scheme (Shaka Player or dash.js for DASH cenc and cbcs).`,
      ),
      h('div', { class: 'row' }, h('a', { class: 'button', href: '/' }, 'Browse the library')),
    ),
  );
}

export function unavailable(main: HTMLElement, id: string, error: unknown): void {
  document.title = 'Video unavailable · vought';
  const signedIn = session() !== null;
  const notFound = error instanceof ApiFailure && error.status === 404;
  replace(
    main,
    h(
      'div',
      { class: 'narrow stack', 'data-testid': 'unavailable' },
      h('h1', { tabindex: '-1' }, notFound ? 'This video is not available' : 'The video could not be loaded'),
      notFound
        ? h(
            'p',
            null,
            signedIn
              ? 'It does not exist, was deleted, or is private to another account.'
              : 'It does not exist, was deleted, or is private. If it is yours, sign in to watch it.',
          )
        : h('p', { class: 'error' }, (error as Error).message),
      h(
        'div',
        { class: 'row' },
        !signedIn && h('a', { class: 'button', href: `/sign-in?next=${encodeURIComponent(`/watch/${id}`)}` }, 'Sign in'),
        h('a', { class: `button${signedIn ? '' : ' secondary'}`, href: '/' }, 'Browse the library'),
      ),
    ),
  );
}

/** The video, or null once the page says why it cannot be shown. */
export async function loadVideo(main: HTMLElement, id: string): Promise<Video | null> {
  try {
    return await videos.get(id);
  } catch (error) {
    unavailable(main, id, error);
    return null;
  }
}

export const watchPage: Page = async (main, params, query) => {
  const id = params[0] ?? '';
  const embed = query.get('embed') === '1';
  const video = await loadVideo(main, id);
  if (!video) return;
  document.title = `${video.title} · vought`;
  const cleanups: Array<() => void> = [];
  const s = session();
  const owner = canManage(s, video);

  let stage: HTMLElement;
  if (video.status === 'ready') {
    let src = video.links.hls;
    let q = '';
    const schemes = video.encryption?.schemes;
    if (schemes && !schemes.includes('aes-128')) {
      // the console plays HLS with hls.js (or Safari), which fetch AES-128 keys; SAMPLE-AES with
      // identity keys and DASH cenc/cbcs need an EME player (Shaka Player, dash.js)
      encryptedOnly(main, video.title, schemes);
      return;
    }
    if (video.visibility === 'private' || schemes) {
      // private media, and the keys of encrypted media, need a playback token
      try {
        const token = await playbackToken(video.id);
        src = schemes ? `${token.hls}&encryption=aes-128` : token.hls;
        q = `token=${encodeURIComponent(token.token)}`;
      } catch (error) {
        unavailable(main, id, error);
        return;
      }
    }
    const thumbs = (file: string) => absolute(`/v1/videos/${encodeURIComponent(video.id)}/thumbs/${file}${q ? `?${q}` : ''}`);
    const player: Player = createPlayer({
      src: absolute(src),
      title: video.title,
      poster: thumbs('poster.jpg'),
      storyboard: thumbs('storyboard.vtt'),
      query: q,
      duration: video.duration,
      autoplay: !embed,
    });
    cleanups.push(() => player.destroy());
    stage = player.element;
  } else {
    const progress = h('progress', { 'aria-label': 'Encoding progress' });
    const message = h(
      'p',
      { role: 'status' },
      video.status === 'failed'
        ? `Encoding failed: ${video.error ?? 'no reason given'}`
        : `${STATUS_LABELS[video.status] ?? video.status}…`,
    );
    stage = h(
      'div',
      { class: 'player placeholder', 'data-status': video.status },
      h('div', { class: 'stack center' }, statusBadge(video.status), message, video.status !== 'failed' && progress),
    );
    if (video.status !== 'failed') {
      const controller = new AbortController();
      cleanups.push(() => controller.abort());
      void followEvents(
        video.id,
        (event) => {
          if (event.type === 'video.progress') {
            progress.max = 100;
            progress.value = event.percent;
            message.textContent = `Encoding… ${Math.floor(event.percent)} %`;
          } else if (event.type === 'video.status' && event.status !== video.status) {
            if (event.status === 'ready' || event.status === 'failed') {
              controller.abort();
              navigate(location.pathname + location.search, { replace: true });
            } else message.textContent = `${STATUS_LABELS[event.status] ?? event.status}…`;
          }
        },
        controller.signal,
      );
    }
  }

  if (embed) {
    replace(main, h('h1', { class: 'visually-hidden', tabindex: '-1' }, video.title), stage);
    return () => {
      for (const c of cleanups) c();
    };
  }

  const related = h('ul', { class: 'related', 'aria-label': 'Related videos' });
  const relatedBox = h(
    'aside',
    { class: 'side', 'aria-labelledby': 'related-title' },
    h('h2', { id: 'related-title' }, 'Related'),
    related,
  );
  videos.related(video.id).then(
    (page) => {
      if (page.items.length === 0) related.replaceWith(h('p', { class: 'muted' }, 'Nothing related yet.'));
      else related.append(...page.items.map((v) => videoCard(v, { compact: true })));
    },
    () => related.replaceWith(h('p', { class: 'muted' }, 'Related videos could not be loaded.')),
  );

  replace(
    main,
    h(
      'div',
      { class: 'watch' },
      h(
        'div',
        { class: 'primary stack' },
        stage,
        h(
          'div',
          { class: 'page-head' },
          h('h1', { tabindex: '-1' }, video.title),
          owner && h('a', { class: 'button secondary', href: `/manage/${video.id}` }, 'Edit and share'),
        ),
        h(
          'p',
          { class: 'watch-meta' },
          video.visibility !== 'public' &&
            h('span', { class: `badge vis-${video.visibility}` }, video.visibility === 'private' ? 'Private' : 'Unlisted'),
          ' ',
          h('time', { datetime: video.createdAt }, `Uploaded ${ago(video.createdAt)}`),
          video.renditions.some((r) => r.type === 'video') && ` · up to ${Math.max(...video.renditions.map((r) => r.height ?? 0))}p`,
        ),
        video.description && h('p', { class: 'description' }, video.description),
        video.tags.length > 0 &&
          h(
            'ul',
            { class: 'tags', 'aria-label': 'Tags' },
            video.tags.map((t) => h('li', null, h('a', { href: `/?tag=${encodeURIComponent(t)}` }, `#${t}`))),
          ),
      ),
      relatedBox,
    ),
  );
  return () => {
    for (const c of cleanups) c();
  };
};
