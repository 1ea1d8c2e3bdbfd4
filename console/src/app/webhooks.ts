// Webhooks (editors and admins, as the API allows): register a URL for some events (the signing
// secret is shown once), remove one, and read its delivery log.
import { type Webhook, webhooks } from './api.ts';
import { announce, apiForm, confirmDialog, copy, field, h, replace } from './dom.ts';
import { ago } from './format.ts';
import type { Page } from './router.ts';
import { editorsOnly } from './signin.ts';

const EVENTS = ['video.ready', 'video.failed', 'video.queued', 'video.processing', 'video.uploading', 'video.updated', 'video.deleted'];

async function showDeliveries(hook: Webhook, box: HTMLElement): Promise<void> {
  replace(box, h('p', { role: 'status' }, 'Loading deliveries…'));
  try {
    const { items } = await webhooks.deliveries(hook.id);
    replace(
      box,
      items.length === 0
        ? h('p', { class: 'muted' }, 'No deliveries yet.')
        : h(
            'div',
            { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': `Deliveries of ${hook.url}` },
            h(
              'table',
              null,
              h(
                'thead',
                null,
                h(
                  'tr',
                  null,
                  ['Event', 'Video', 'Status', 'Attempts', 'Last error', 'When'].map((c) => h('th', { scope: 'col' }, c)),
                ),
              ),
              h(
                'tbody',
                null,
                items.map((d) =>
                  h(
                    'tr',
                    null,
                    h('td', null, String(d.event.event ?? d.event.type ?? '')),
                    h(
                      'td',
                      null,
                      typeof d.event.videoId === 'string' ? h('a', { href: `/watch/${d.event.videoId}` }, d.event.videoId) : '',
                    ),
                    h('td', null, h('span', { class: `badge delivery-${d.status}` }, d.status)),
                    h('td', null, String(d.attempts)),
                    h('td', null, d.lastError ?? ''),
                    h('td', null, h('time', { datetime: d.createdAt }, ago(d.createdAt))),
                  ),
                ),
              ),
            ),
          ),
    );
  } catch (error) {
    replace(box, h('p', { class: 'error' }, `Could not load deliveries: ${(error as Error).message}`));
  }
}

export const webhooksPage: Page = async (main) => {
  document.title = 'Webhooks · vought';
  const allowed = editorsOnly(main, 'Webhooks', '/webhooks', {
    role: () => 'Webhooks need the editor or admin role.',
    signIn: ' to manage webhooks.',
  });
  if (!allowed) return;
  const list = h('ul', { class: 'hooks stack' });
  const load = async () => {
    try {
      const { items } = await webhooks.list();
      replace(
        list,
        items.length === 0
          ? h('li', { class: 'muted' }, 'No webhooks yet.')
          : items.map((hook) => {
              const box = h('div');
              const details = h('details', null, h('summary', null, 'Deliveries'), box);
              details.addEventListener('toggle', () => {
                if (details.open) void showDeliveries(hook, box);
              });
              return h(
                'li',
                { class: 'card stack', 'data-testid': 'webhook' },
                h(
                  'div',
                  { class: 'page-head' },
                  h('strong', { class: 'mono break' }, hook.url),
                  h(
                    'button',
                    {
                      class: 'button danger small',
                      type: 'button',
                      'aria-label': `Remove the webhook to ${hook.url}`,
                      onclick: async () => {
                        if (
                          !(await confirmDialog(
                            'Remove this webhook?',
                            `${hook.url} will get no more events, and its delivery log goes too.`,
                            'Remove',
                          ))
                        )
                          return;
                        await webhooks.remove(hook.id).then(
                          () => announce('Webhook removed'),
                          (e: Error) => announce(e.message, 'error'),
                        );
                        void load();
                      },
                    },
                    'Remove',
                  ),
                ),
                h('p', { class: 'muted' }, `Events: ${hook.events.join(', ')} · added ${ago(hook.createdAt)}`),
                details,
              );
            }),
      );
    } catch (error) {
      replace(list, h('li', { class: 'error' }, `Could not load webhooks: ${(error as Error).message}`));
    }
  };
  const url = h('input', { type: 'url', name: 'url', required: true, placeholder: 'https://example.com/hooks/vought' });
  const all = h('input', { type: 'checkbox', id: 'ev-all', checked: true });
  const boxes = EVENTS.map((e) => h('input', { type: 'checkbox', id: `ev-${e}`, value: e, disabled: true }));
  all.addEventListener('change', () => {
    for (const b of boxes) b.disabled = all.checked;
  });
  const error = h('p', { class: 'error', role: 'alert' });
  const secretBox = h('div', { 'aria-live': 'polite' });
  const form = apiForm(
    'new-hook',
    error,
    async () => {
      const events = all.checked ? ['*'] : boxes.filter((b) => b.checked).map((b) => b.value);
      if (events.length === 0) {
        error.textContent = 'Choose at least one event.';
        return;
      }
      const hook = await webhooks.create({ url: url.value.trim(), events });
      const secret = h('input', { type: 'text', readonly: true, value: hook.secret ?? '', class: 'mono' });
      replace(
        secretBox,
        h(
          'div',
          { class: 'note stack' },
          h('strong', null, 'Signing secret — shown once. Store it now:'),
          h(
            'div',
            { class: 'share-row' },
            field('Secret', secret),
            h(
              'button',
              { class: 'button secondary small', type: 'button', onclick: () => copy(hook.secret ?? '', 'secret', secret) },
              'Copy',
            ),
          ),
        ),
      );
      url.value = '';
      void load();
    },
    h('h2', { id: 'new-hook' }, 'Add a webhook'),
    field('URL', url, 'vought POSTs signed JSON to it (see docs/webhooks.md).'),
    h(
      'fieldset',
      null,
      h('legend', null, 'Events'),
      h('div', { class: 'check' }, all, h('label', { for: 'ev-all' }, 'All events')),
      h(
        'div',
        { class: 'checks' },
        EVENTS.map((e, i) => h('div', { class: 'check' }, boxes[i], h('label', { for: `ev-${e}` }, e))),
      ),
    ),
    error,
    h('div', { class: 'row' }, h('button', { class: 'button', type: 'submit' }, 'Add webhook')),
    secretBox,
  );
  replace(
    main,
    h('h1', { tabindex: '-1' }, 'Webhooks'),
    h('p', null, 'Events of your videos, sent to your URLs.'),
    h('div', { class: 'columns' }, form, h('section', { 'aria-label': 'Your webhooks' }, list)),
  );
  await load();
};
