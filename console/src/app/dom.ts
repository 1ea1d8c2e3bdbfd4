// A tiny DOM helper: h('button', { class: 'x', onclick }, 'text', child, [more]). Properties that
// only exist as properties (value, checked, ...) are set as such; on* functions become listeners;
// false, null and undefined attributes are left out. No inline styles (the page's CSP forbids them).
import { failureMessage } from './api.ts';

export type Child = Node | string | number | null | undefined | false | Child[];
export type Attrs = Record<string, unknown>;

const PROPERTIES = new Set(['value', 'checked', 'disabled', 'selected', 'hidden', 'open', 'indeterminate', 'muted']);

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') element.addEventListener(key.slice(2), value as EventListener);
    else if (PROPERTIES.has(key)) (element as unknown as Record<string, unknown>)[key] = value;
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.textContent = '';
  append(parent, children);
}

/** Announces a message to screen readers and shows it briefly (the page's live region). */
export function announce(message: string, kind: 'info' | 'error' = 'info'): void {
  const region = document.getElementById('toast');
  if (!region) return;
  const item = h('div', { class: `toast ${kind}` }, message);
  region.appendChild(item);
  setTimeout(() => item.remove(), kind === 'error' ? 8000 : 4000);
}

let ids = 0;
/** A unique id for label/control pairs. */
export const uid = (prefix: string) => `${prefix}-${++ids}`;

/** A labelled form field: label above, control, optional hint (wired with aria-describedby). */
export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  const id = control.id || uid('f');
  control.id = id;
  const hintEl = hint ? h('small', { class: 'hint', id: `${id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintEl);
}

/**
 * A form in a card, labelled by its heading's id, that calls the API: submitting clears `error`
 * and runs `submit` (instead of the browser's navigation); what it throws is shown in `error`.
 */
export function apiForm(labelledBy: string, error: HTMLElement, submit: () => Promise<void>, ...children: Child[]): HTMLFormElement {
  const onsubmit = async (event: Event) => {
    event.preventDefault();
    error.textContent = '';
    try {
      await submit();
    } catch (e) {
      error.textContent = failureMessage(e);
    }
  };
  return h('form', { class: 'card stack', 'aria-labelledby': labelledBy, onsubmit }, ...children);
}

/** Asks a yes/no question in a modal <dialog>; resolves true when confirmed. */
export function confirmDialog(title: string, message: string, confirmLabel: string): Promise<boolean> {
  return new Promise((resolve) => {
    const titleId = uid('dlg');
    const dialog = h(
      'dialog',
      { class: 'dialog', 'aria-labelledby': titleId },
      h('h2', { id: titleId }, title),
      h('p', null, message),
      h(
        'form',
        { method: 'dialog', class: 'row end' },
        h('button', { value: 'cancel', class: 'button secondary', autofocus: true }, 'Cancel'),
        h('button', { value: 'ok', class: 'button danger', 'data-testid': 'confirm' }, confirmLabel),
      ),
    );
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'ok');
      dialog.remove();
    });
    document.body.appendChild(dialog);
    dialog.showModal();
  });
}

/** Copies text, saying so; falls back to selecting it when the clipboard is refused. */
export async function copy(text: string, what: string, fallback?: HTMLInputElement | HTMLTextAreaElement): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    announce(`${what} copied`);
  } catch {
    fallback?.select();
    announce(`Press Ctrl+C (⌘C) to copy the ${what}`);
  }
}
