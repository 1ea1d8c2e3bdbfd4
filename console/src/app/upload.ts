// Uploads: drop or pick files; each becomes a video (POST /v1/videos, title from the file name)
// and a resumable tus upload with progress, speed and time left, pause and resume. tus keeps each
// upload's URL in localStorage under the file's fingerprint, so after a reload (or a lost
// connection) choosing the same file again continues where it stopped, into the same video. Then
// the encode's progress, live from the video's events, until ready or failed.
import * as tus from 'tus-js-client';
import { failureMessage, type Video, type Visibility, videos } from './api.ts';
import { session } from './auth.ts';
import { announce, field, h, replace } from './dom.ts';
import { bytes, eta, rate } from './format.ts';
import type { Page } from './router.ts';
import { RateMeter, titleOf as titleOfName, tusFailure, uploadable } from './shared/uploads.ts';
import { editorsOnly } from './signin.ts';
import { followEvents } from './sse.ts';

type State = 'starting' | 'uploading' | 'paused' | 'queued' | 'processing' | 'ready' | 'failed' | 'error';

interface Item {
  key: number;
  file: File;
  state: State;
  video: Video | null;
  sent: number;
  total: number;
  /** Bytes per second, over the last few seconds. */
  speed: number;
  meter: RateMeter;
  encodePercent: number | null;
  message: string;
  resumed: boolean;
  upload: tus.Upload | null;
  events: AbortController | null;
  element: HTMLLIElement | null;
}

const items: Item[] = [];
let nextKey = 1;
const changed = new Set<(item: Item) => void>();
const notify = (item: Item) => {
  for (const l of changed) l(item);
};

/** Title from a file name (the name itself when nothing else is left of it). */
const titleOf = (name: string) => titleOfName(name, name || 'Untitled');

function failure(error: unknown): string {
  const { apiMessage, noResponse, message } = tusFailure(error);
  if (apiMessage) return apiMessage;
  if (noResponse || /network|xhr/i.test(message ?? '')) return 'The connection was lost. Resume to continue.';
  return message ?? String(error);
}

async function start(file: File, options: { visibility: Visibility; tags: string[] }): Promise<void> {
  const item: Item = {
    key: nextKey++,
    file,
    state: 'starting',
    video: null,
    sent: 0,
    total: file.size,
    speed: 0,
    meter: new RateMeter(),
    encodePercent: null,
    message: 'Preparing…',
    resumed: false,
    upload: null,
    events: null,
    element: null,
  };
  items.unshift(item);
  notify(item);
  const upload = new tus.Upload(file, {
    endpoint: `${location.origin}/v1/uploads`,
    metadata: { filename: file.name, filetype: file.type || 'application/octet-stream' },
    chunkSize: 8 * 1024 * 1024,
    retryDelays: [0, 1000, 3000, 5000, 10_000],
    removeFingerprintOnSuccess: true,
    // the session's token at each request (it may be renewed while a long upload runs)
    onBeforeRequest: (req) => {
      const token = session()?.token;
      if (token) req.setHeader('Authorization', `Bearer ${token}`);
    },
    onProgress: (sent, total) => {
      item.speed = item.meter.add(sent, performance.now()) ?? item.speed;
      item.sent = sent;
      item.total = total;
      if (item.state === 'starting') item.state = 'uploading';
      notify(item);
    },
    onError: (error) => {
      item.state = 'error';
      item.message = failure(error);
      notify(item);
    },
    onSuccess: () => {
      item.sent = item.total;
      item.state = 'queued';
      item.message = 'Uploaded. Waiting for the encoder…';
      notify(item);
      follow(item);
    },
  });
  item.upload = upload;
  try {
    // the same file, started before (this page, another tab, before a reload): continue it
    const previous = (await upload.findPreviousUploads()).sort((a, b) => Date.parse(b.creationTime) - Date.parse(a.creationTime));
    for (const p of previous) {
      const id = p.metadata?.video_id;
      const video = id ? await videos.get(id).catch(() => null) : null;
      if (video && uploadable(video)) {
        item.video = video;
        item.resumed = true;
        upload.options.metadata = { ...upload.options.metadata, video_id: video.id };
        upload.resumeFromPreviousUpload(p);
        break;
      }
      // its video is gone or has its source: that stored URL is of no use any more
      if (p.urlStorageKey) await tus.defaultOptions.urlStorage.removeUpload(p.urlStorageKey).catch(() => {});
    }
    if (!item.video) {
      item.video = await videos.create({ title: titleOf(file.name), visibility: options.visibility, tags: options.tags });
      upload.options.metadata = { ...upload.options.metadata, video_id: item.video.id };
    }
    item.state = 'uploading';
    item.message = item.resumed ? 'Resuming…' : 'Uploading…';
    notify(item);
    upload.start();
  } catch (error) {
    item.state = 'error';
    item.message = failureMessage(error);
    notify(item);
  }
}

function follow(item: Item): void {
  if (!item.video) return;
  item.events?.abort();
  const controller = new AbortController();
  item.events = controller;
  const id = item.video.id;
  void followEvents(
    id,
    (event) => {
      if (event.type === 'video.progress') {
        item.state = 'processing';
        item.encodePercent = event.percent;
        item.message = `Encoding… ${Math.floor(event.percent)} %`;
      } else if (event.type === 'video.status') {
        if (event.status === 'ready') {
          item.state = 'ready';
          item.encodePercent = 100;
          item.message = 'Ready to watch.';
          controller.abort();
          announce(`${item.video?.title ?? 'A video'} is ready`);
        } else if (event.status === 'failed') {
          item.state = 'failed';
          item.message = `Encoding failed: ${event.error ?? 'no reason given'}`;
          controller.abort();
          announce(`${item.video?.title ?? 'A video'} failed to encode`, 'error');
        } else if (event.status === 'processing') {
          item.state = 'processing';
          item.message = item.encodePercent === null ? 'Encoding…' : item.message;
        } else if (event.status === 'queued') {
          item.state = 'queued';
          item.message = 'Queued for encoding…';
        }
      } else return;
      notify(item);
    },
    controller.signal,
  );
}

function pause(item: Item): void {
  if (item.state !== 'uploading' || !item.upload) return;
  void item.upload.abort();
  item.state = 'paused';
  item.message = 'Paused.';
  item.meter = new RateMeter();
  item.speed = 0;
  notify(item);
}

function resume(item: Item): void {
  if ((item.state !== 'paused' && item.state !== 'error') || !item.upload || !item.video) return;
  item.state = 'uploading';
  item.message = 'Resuming…';
  notify(item);
  item.upload.start();
}

// ---- the page ---------------------------------------------------------------------------------

function renderItem(item: Item): HTMLLIElement {
  const percent = item.total ? Math.floor((item.sent / item.total) * 100) : 0;
  const uploading = item.state === 'starting' || item.state === 'uploading' || item.state === 'paused' || item.state === 'error';
  const title = item.video?.title ?? titleOf(item.file.name);
  const progressLabel = `${title}: ${uploading ? 'upload' : 'encoding'}`;
  const progress = uploading
    ? h('progress', { max: 100, value: percent, 'aria-label': progressLabel })
    : item.state === 'ready' || item.state === 'failed'
      ? null
      : item.encodePercent === null
        ? h('progress', { 'aria-label': progressLabel }) // indeterminate: queued
        : h('progress', { max: 100, value: item.encodePercent, 'aria-label': progressLabel });
  const details =
    item.state === 'uploading'
      ? `${bytes(item.sent)} of ${bytes(item.total)} · ${percent} % · ${item.speed > 0 ? `${rate(item.speed)} · ${eta((item.total - item.sent) / item.speed)}` : 'measuring speed…'}`
      : uploading
        ? `${bytes(item.sent)} of ${bytes(item.total)} · ${percent} %`
        : bytes(item.total);
  const actions = h('div', { class: 'row' });
  if (item.state === 'uploading')
    actions.append(h('button', { class: 'button secondary small', type: 'button', onclick: () => pause(item) }, 'Pause'));
  if (item.state === 'paused' || (item.state === 'error' && item.video))
    actions.append(h('button', { class: 'button small', type: 'button', onclick: () => resume(item) }, 'Resume'));
  if (item.video && (item.state === 'ready' || item.state === 'queued' || item.state === 'processing' || item.state === 'failed'))
    actions.append(
      h(
        'a',
        { class: `button small${item.state === 'ready' ? '' : ' secondary'}`, href: `/watch/${item.video.id}` },
        item.state === 'ready' ? 'Watch' : 'Open',
      ),
    );
  if (item.video) actions.append(h('a', { class: 'button secondary small', href: `/manage/${item.video.id}` }, 'Edit details'));
  return h(
    'li',
    { class: `upload-item state-${item.state}`, 'data-testid': 'upload-item', 'data-state': item.state, 'data-id': item.video?.id ?? '' },
    h(
      'div',
      { class: 'upload-head' },
      h('strong', { class: 'upload-title' }, title),
      h('span', { class: `badge state-${item.state}` }, item.state === 'processing' ? 'encoding' : item.state),
    ),
    progress,
    h('p', { class: 'upload-details' }, details),
    h(
      'p',
      {
        class: item.state === 'error' || item.state === 'failed' ? 'error' : 'upload-message',
        role: item.state === 'error' || item.state === 'failed' ? 'alert' : null,
      },
      item.message,
      item.resumed && uploading ? ' (continuing an earlier upload)' : '',
    ),
    actions,
  );
}

export const uploadPage: Page = async (main) => {
  document.title = 'Upload · vought';
  const allowed = editorsOnly(main, 'Upload', '/upload', {
    role: (role) => `Uploading needs the editor or admin role; you are signed in as a ${role}.`,
    signIn: ' with an editor account to upload videos.',
  });
  if (!allowed) return;
  const visibility = h(
    'select',
    { name: 'visibility' },
    h('option', { value: 'public' }, 'Public'),
    h('option', { value: 'unlisted' }, 'Unlisted'),
    h('option', { value: 'private' }, 'Private'),
  );
  const tags = h('input', { type: 'text', name: 'tags', autocomplete: 'off', placeholder: 'e.g. travel, 2024' });
  const input = h('input', {
    type: 'file',
    multiple: true,
    accept: 'video/*,audio/*,.mkv,.mov,.mp4,.webm',
    class: 'visually-hidden',
    'data-testid': 'upload-input',
    id: 'upload-input',
  });
  const addFiles = (files: FileList | File[] | null) => {
    const list = [...(files ?? [])];
    if (list.length === 0) return;
    const tagList = tags.value
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    for (const file of list) void start(file, { visibility: visibility.value as Visibility, tags: tagList });
    announce(`${list.length} file${list.length === 1 ? '' : 's'} added`);
    input.value = '';
  };
  input.addEventListener('change', () => addFiles(input.files));
  const zone = h(
    'label',
    { class: 'dropzone', for: 'upload-input' },
    h('span', { class: 'drop-icon', 'aria-hidden': 'true' }, '⇪'),
    h('strong', null, 'Drop video files here, or choose files'),
    h('span', { class: 'hint' }, 'Uploads resume if interrupted: choose the same file again.'),
  );
  const inZone = (e: DragEvent) => {
    e.preventDefault();
    zone.classList.add('over');
  };
  zone.addEventListener('dragenter', inZone);
  zone.addEventListener('dragover', inZone);
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    addFiles(e.dataTransfer?.files ?? null);
  });
  const list = h('ul', { class: 'uploads', 'aria-label': 'Uploads', 'aria-live': 'off' });
  const draw = (item: Item) => {
    const element = renderItem(item);
    if (item.element?.parentNode === list) {
      // keep focus on the same button across redraws
      const focused = document.activeElement;
      const label = focused && item.element.contains(focused) ? focused.textContent : null;
      list.replaceChild(element, item.element);
      if (label) ([...element.querySelectorAll('button, a')].find((b) => b.textContent === label) as HTMLElement | undefined)?.focus();
    } else list.prepend(element);
    item.element = element;
  };
  for (const item of [...items].reverse()) {
    item.element = null;
    draw(item);
  }
  // Unfinished uploads remembered by tus: they continue when the same file is chosen again.
  const pending = h('div', { class: 'stack' });
  const showPending = async () => {
    const stored = await tus.defaultOptions.urlStorage.findAllUploads().catch(() => []);
    const active = new Set(items.map((i) => i.file.name));
    const rows = stored.filter((u) => u.metadata?.filename && !active.has(u.metadata.filename));
    replace(
      pending,
      rows.length
        ? [
            h('h2', null, 'Interrupted uploads'),
            h('p', null, 'Choose the same file again to continue where it stopped.'),
            h(
              'ul',
              { class: 'pending' },
              rows.map((u) =>
                h(
                  'li',
                  null,
                  h('span', null, `${u.metadata?.filename} (${u.size ? bytes(u.size) : 'size unknown'})`),
                  h(
                    'button',
                    {
                      class: 'button secondary small',
                      type: 'button',
                      'aria-label': `Forget ${u.metadata?.filename}`,
                      onclick: async () => {
                        if (u.urlStorageKey) await tus.defaultOptions.urlStorage.removeUpload(u.urlStorageKey);
                        void showPending();
                      },
                    },
                    'Forget',
                  ),
                ),
              ),
            ),
          ]
        : [],
    );
  };
  void showPending();
  changed.add(draw);
  replace(
    main,
    h('h1', { tabindex: '-1' }, 'Upload'),
    h(
      'div',
      { class: 'filters' },
      field('Visibility of new videos', visibility),
      h('div', { class: 'grow' }, field('Tags', tags, 'Separated by commas')),
    ),
    input,
    zone,
    pending,
    list,
  );
  return () => {
    changed.delete(draw);
  };
};
