// navigate() for pages; main.ts registers the renderer (kept apart to avoid an import cycle).
let renderer: () => void = () => {};

export function setRenderer(render: () => void): void {
  renderer = render;
}

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  renderer();
}

export type Cleanup = (() => void) | undefined;
/** Renders a page into `main`; may return (or resolve to) a function that undoes what it started. */
export type Page = (main: HTMLElement, params: string[], query: URLSearchParams) => unknown;
