// The library: full-text search (the API's q), tag and status filters, your own videos or every
// public one, and infinite scroll over the cursor API (IntersectionObserver, with a button too).
import { ApiFailure, type VideoPage, videos } from './api.ts';
import { canUpload, session } from './auth.ts';
import { videoCard } from './cards.ts';
import { field, h, replace } from './dom.ts';
import { STATUS_LABELS } from './format.ts';
import type { Page } from './router.ts';

const PAGE = 24;

export const libraryPage: Page = (main, _params, query) => {
  document.title = 'Library · vought';
  const s = session();
  const search = h('input', {
    type: 'search',
    name: 'q',
    value: query.get('q') ?? '',
    placeholder: 'Title, description or tag',
    autocomplete: 'off',
    'data-testid': 'search',
  });
  const tag = h('input', { type: 'text', name: 'tag', value: query.get('tag') ?? '', autocomplete: 'off', placeholder: 'any' });
  const status = h(
    'select',
    { name: 'status' },
    h('option', { value: '' }, 'Any status'),
    Object.entries(STATUS_LABELS).map(([value, label]) => h('option', { value, selected: query.get('status') === value }, label)),
  );
  const scope = h(
    'select',
    { name: 'scope' },
    h('option', { value: 'all' }, 'Public videos'),
    h('option', { value: 'mine', selected: query.get('scope') === 'mine' }, 'My videos'),
  );
  const list = h('ul', { class: 'grid', 'aria-label': 'Videos' });
  const summary = h('p', { class: 'summary', role: 'status', 'aria-live': 'polite' });
  const more = h('button', { class: 'button secondary', type: 'button', hidden: true }, 'Load more');
  const sentinel = h('div', { class: 'sentinel', 'aria-hidden': 'true' });

  let cursor: string | null = null;
  let loading = false;
  let count = 0;
  let controller = new AbortController();

  const params = () => ({
    q: search.value.trim(),
    tag: tag.value.trim(),
    status: status.value,
    ...(s && scope.value === 'mine' ? { owner: 'me' } : {}),
  });

  async function load(reset: boolean): Promise<void> {
    if (reset) {
      controller.abort();
      controller = new AbortController();
      cursor = null;
      count = 0;
      list.textContent = '';
      const p = params();
      const url = new URLSearchParams();
      if (p.q) url.set('q', p.q);
      if (p.tag) url.set('tag', p.tag);
      if (p.status) url.set('status', p.status);
      if (scope.value === 'mine') url.set('scope', 'mine');
      history.replaceState(null, '', url.size ? `/?${url}` : '/');
    } else if (loading || cursor === null) return;
    loading = true;
    summary.textContent = 'Loading…';
    main.setAttribute('aria-busy', 'true');
    const signal = controller.signal;
    try {
      const page: VideoPage = await videos.list({ ...params(), cursor, limit: PAGE }, signal);
      if (signal.aborted) return;
      for (const video of page.items) list.appendChild(videoCard(video));
      count += page.items.length;
      cursor = page.nextCursor;
      more.hidden = cursor === null;
      const filtered = Object.values(params()).some(Boolean);
      summary.textContent =
        count === 0
          ? filtered
            ? 'No videos match.'
            : 'No videos yet.'
          : `${count}${cursor ? '+' : ''} video${count === 1 ? '' : 's'}${params().q ? ` matching “${params().q}”` : ''}`;
      if (count === 0 && !filtered && canUpload(s)) summary.append(' ', h('a', { href: '/upload' }, 'Upload one'));
    } catch (error) {
      if ((error as Error).name === 'AbortError') return;
      summary.textContent = error instanceof ApiFailure ? `Could not load videos: ${error.message}` : String(error);
    } finally {
      if (!signal.aborted) {
        loading = false;
        main.removeAttribute('aria-busy');
      }
    }
    // still on screen after this page (a tall window): load the next
    if (!signal.aborted && cursor && sentinel.getBoundingClientRect().top < innerHeight + 400) void load(false);
  }

  let timer: ReturnType<typeof setTimeout> | undefined;
  const debounced = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void load(true), 250);
  };
  search.addEventListener('input', debounced);
  tag.addEventListener('input', debounced);
  status.addEventListener('change', () => void load(true));
  scope.addEventListener('change', () => void load(true));
  more.addEventListener('click', () => void load(false));

  const observer = new IntersectionObserver(
    (entries) => {
      if (entries.some((e) => e.isIntersecting)) void load(false);
    },
    { rootMargin: '400px' },
  );
  observer.observe(sentinel);

  replace(
    main,
    h(
      'div',
      { class: 'page-head' },
      h('h1', { tabindex: '-1' }, 'Library'),
      canUpload(s) && h('a', { class: 'button', href: '/upload' }, 'Upload videos'),
    ),
    h(
      'form',
      {
        role: 'search',
        class: 'filters',
        onsubmit: (e: Event) => {
          e.preventDefault();
          void load(true);
        },
      },
      h('div', { class: 'grow' }, field('Search videos', search)),
      field('Tag', tag),
      field('Status', status),
      s ? field('Show', scope) : null,
    ),
    summary,
    list,
    sentinel,
    h('div', { class: 'row center' }, more),
  );
  void load(true);
  return () => {
    controller.abort();
    observer.disconnect();
    clearTimeout(timer);
  };
};
