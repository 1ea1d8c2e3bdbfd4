// Manage a video (its owner or an admin): title, description, tags, visibility and encryption (PATCH), delete
// with confirmation, and what to share: absolute HLS and DASH URLs and an embed snippet.
import { absolute, type Video, videos } from './api.ts';
import { canManage, session } from './auth.ts';
import { statusBadge } from './cards.ts';
import { announce, apiForm, confirmDialog, copy, field, h, replace } from './dom.ts';
import { navigate, type Page } from './router.ts';
import type { EncryptionPolicy } from './shared/api-types.ts';
import { VISIBILITIES } from './shared/api-types.ts';
import { loadVideo } from './watch.ts';

/** Encryption choices: none, or a policy that requires encryption (the API takes any list; these are the usual pairs). */
const ENCRYPTION_CHOICES: Array<{ value: string; label: string; policy: EncryptionPolicy | null }> = [
  { value: '', label: 'None: clear, or encrypted on request', policy: null },
  { value: 'aes-128,cenc', label: 'Required: HLS AES-128 and DASH cenc', policy: { schemes: ['aes-128', 'cenc'] } },
  { value: 'sample-aes,cbcs', label: 'Required: CMAF cbcs (HLS SAMPLE-AES, DASH cbcs)', policy: { schemes: ['sample-aes', 'cbcs'] } },
];

function shareRow(label: string, value: string, testid: string): HTMLElement {
  const input = h('input', { type: 'text', readonly: true, value, 'data-testid': testid, class: 'mono' });
  return h(
    'div',
    { class: 'share-row' },
    field(label, input),
    h(
      'button',
      { class: 'button secondary small', type: 'button', 'aria-label': `Copy the ${label}`, onclick: () => copy(value, label, input) },
      'Copy',
    ),
  );
}

export const managePage: Page = async (main, params) => {
  const id = params[0] ?? '';
  const loaded = await loadVideo(main, id);
  if (!loaded) return;
  let video = loaded;
  document.title = `Edit ${video.title} · vought`;
  if (!canManage(session(), video)) {
    replace(
      main,
      h('h1', { tabindex: '-1' }, video.title),
      h('p', null, 'Only its owner (or an admin) can change this video. ', h('a', { href: `/watch/${id}` }, 'Watch it')),
    );
    return;
  }
  const title = h('input', { type: 'text', name: 'title', value: video.title, required: true, maxlength: 200 });
  const description = h('textarea', { name: 'description', rows: 4, maxlength: 5000 }, video.description);
  const tags = h('input', { type: 'text', name: 'tags', value: video.tags.join(', '), autocomplete: 'off' });
  const visibility = h(
    'select',
    { name: 'visibility', 'data-testid': 'visibility' },
    VISIBILITIES.map((v) => h('option', { value: v, selected: video.visibility === v }, v[0]?.toUpperCase() + v.slice(1))),
  );
  // a policy set through the API that is not one of the choices stays as it is unless changed here
  let current = video.encryption ? video.encryption.schemes.join(',') : '';
  const known = ENCRYPTION_CHOICES.some((c) => c.value === current);
  const encryption = h('select', { name: 'encryption', 'data-testid': 'encryption' }, [
    ...ENCRYPTION_CHOICES.map((c) => h('option', { value: c.value, selected: c.value === current }, c.label)),
    ...(known ? [] : [h('option', { value: current, selected: true }, `Required: ${current.replace(/,/g, ', ')} (set through the API)`)]),
  ]);
  const error = h('p', { class: 'error', role: 'alert' });
  const save = h('button', { class: 'button', type: 'submit', 'data-testid': 'save' }, 'Save changes');
  const form = apiForm(
    'details-title',
    error,
    async () => {
      save.disabled = true;
      try {
        video = await videos.update(video.id, {
          title: title.value.trim(),
          description: description.value,
          tags: tags.value
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean),
          visibility: visibility.value as Video['visibility'],
          ...(encryption.value === current
            ? {}
            : { encryption: ENCRYPTION_CHOICES.find((c) => c.value === encryption.value)?.policy ?? null }),
        });
        current = video.encryption ? video.encryption.schemes.join(',') : '';
        announce('Saved');
        renderShare();
      } finally {
        save.disabled = false;
      }
    },
    h('h2', { id: 'details-title' }, 'Details'),
    field('Title', title),
    field('Description', description),
    field('Tags', tags, 'Separated by commas'),
    field('Visibility', visibility, 'Public: listed and searchable. Unlisted: anyone with the link. Private: only you (and admins).'),
    field('Encryption', encryption, 'Required: players get keys with a playback token, and clear media is refused.'),
    error,
    h('div', { class: 'row' }, save),
  );

  const share = h('section', { class: 'card stack', 'aria-labelledby': 'share-title' });
  const renderShare = () => {
    const embedUrl = absolute(`/embed/${video.id}`);
    const snippet = `<iframe src="${embedUrl}" title="${video.title.replace(/"/g, '&quot;')}" width="640" height="360" allow="fullscreen; autoplay" loading="lazy" style="border:0"></iframe>`;
    replace(
      share,
      h('h2', { id: 'share-title' }, 'Share'),
      video.visibility === 'private' &&
        h(
          'p',
          { class: 'note' },
          'This video is private: these links play only with a playback token (POST /v1/videos/{id}/playback-tokens gives ready-made ones).',
        ),
      shareRow('HLS URL', absolute(video.links.hls), 'hls-url'),
      shareRow('DASH URL', absolute(video.links.dash), 'dash-url'),
      shareRow('Embed snippet', snippet, 'embed-snippet'),
    );
  };
  renderShare();

  const danger = h(
    'section',
    { class: 'card stack danger-zone', 'aria-labelledby': 'delete-title' },
    h('h2', { id: 'delete-title' }, 'Delete'),
    h('p', null, 'Deletes the video, every stored rendition and every cached copy. This cannot be undone.'),
    h(
      'div',
      { class: 'row' },
      h(
        'button',
        {
          class: 'button danger',
          type: 'button',
          'data-testid': 'delete',
          onclick: async () => {
            if (!(await confirmDialog('Delete this video?', `“${video.title}” will be gone for good.`, 'Delete'))) return;
            try {
              await videos.remove(video.id);
              announce(`Deleted “${video.title}”`);
              navigate('/');
            } catch (e) {
              announce(`Could not delete: ${(e as Error).message}`, 'error');
            }
          },
        },
        'Delete video',
      ),
    ),
  );

  replace(
    main,
    h(
      'div',
      { class: 'page-head' },
      h('div', { class: 'row' }, h('h1', { tabindex: '-1' }, `Edit “${video.title}”`), statusBadge(video.status)),
      h('a', { class: 'button secondary', href: `/watch/${video.id}` }, 'Watch'),
    ),
    h('div', { class: 'columns' }, form, h('div', { class: 'stack' }, share, danger)),
  );
};
