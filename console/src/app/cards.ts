// A video card for the library and the related list: poster, duration, status badge, title.
import { playbackToken, type Video } from './api.ts';
import { h } from './dom.ts';
import { ago, clock, STATUS_LABELS } from './format.ts';

export function statusBadge(status: string): HTMLElement {
  return h('span', { class: `badge status-${status}` }, STATUS_LABELS[status] ?? status);
}

export function posterOf(video: Video, img: HTMLImageElement): void {
  if (video.status !== 'ready') return;
  const src = `/v1/videos/${encodeURIComponent(video.id)}/thumbs/poster.jpg`;
  if (video.visibility !== 'private') {
    img.src = src;
    return;
  }
  // a private video's poster needs its playback token, asked when the card is shown
  playbackToken(video.id).then(
    (t) => {
      img.src = `${src}?token=${encodeURIComponent(t.token)}`;
    },
    () => {},
  );
}

export function videoCard(video: Video, options: { compact?: boolean } = {}): HTMLLIElement {
  const img = h('img', { alt: '', loading: 'lazy', decoding: 'async', width: 320, height: 180 });
  img.addEventListener('error', () => img.classList.add('broken'));
  posterOf(video, img);
  const title = h(options.compact ? 'h3' : 'h2', { class: 'card-title' }, video.title);
  const meta = h(
    'div',
    { class: 'meta' },
    video.status !== 'ready' && statusBadge(video.status),
    video.visibility !== 'public' &&
      h('span', { class: `badge vis-${video.visibility}` }, video.visibility === 'private' ? 'Private' : 'Unlisted'),
    h('span', { class: 'when' }, h('time', { datetime: video.createdAt }, ago(video.createdAt))),
  );
  const thumb = h(
    'div',
    { class: 'thumb' },
    video.status === 'ready' ? img : h('span', { class: 'thumb-status' }, STATUS_LABELS[video.status] ?? video.status),
    video.duration ? h('span', { class: 'duration', 'aria-label': `duration ${clock(video.duration)}` }, clock(video.duration)) : null,
  );
  const href = `/watch/${encodeURIComponent(video.id)}`;
  return h(
    'li',
    {
      class: `video-card${options.compact ? ' compact' : ''}`,
      'data-testid': 'video-card',
      'data-status': video.status,
      'data-id': video.id,
    },
    // compact (beside the player): thumbnail left, title and details right, all one link
    options.compact
      ? h('a', { href, class: 'card-link' }, thumb, h('div', null, title, meta))
      : [h('a', { href, class: 'card-link' }, thumb, title), meta],
  );
}
