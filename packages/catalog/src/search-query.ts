// Search must answer the same on SQLite and PostgreSQL (issue 6). The engines' own tokenizers do
// not agree (PostgreSQL's parser splits `e-mail` into three tokens, FTS5's unicode61 into two; they
// treat URLs, numbers and underscores differently), so neither is trusted: this module turns text
// into tokens once, the catalog stores them as plain space-separated words (`search_text`), and
// each engine only indexes and matches those words — words made of letters, marks and digits
// alone, on which FTS5 unicode61 and PostgreSQL's `simple` configuration agree.

const WORD = /[\p{L}\p{M}\p{N}]+/gu;
const MAX_TERMS = 10;
const MAX_TERM_LENGTH = 64;

/** Lowercased NFKC words of letters, marks and digits. */
export function words(text: string): string[] {
  return (text.normalize('NFKC').toLowerCase().match(WORD) ?? []).map((w) => w.slice(0, MAX_TERM_LENGTH));
}

/** The indexed text of a video: its title, description and tags as words. */
export function searchText(video: { title: string; description: string; tags: readonly string[] }): string {
  return [...words(video.title), ...words(video.description), ...video.tags.flatMap(words)].join(' ');
}

export interface SearchTerms {
  /** Every term must match a word; the last matches as a prefix (search as you type). */
  terms: string[];
}

/** Null when the query has no words (then it does not filter). */
export function parseSearch(q: string | undefined): SearchTerms | null {
  if (!q) return null;
  const terms = words(q).slice(0, MAX_TERMS);
  return terms.length ? { terms } : null;
}

/** FTS5 MATCH expression: quoted terms are literal; `*` after the last makes it a prefix. */
export function fts5Match(search: SearchTerms): string {
  return search.terms.map((t, i) => `"${t}"${i === search.terms.length - 1 ? '*' : ''}`).join(' ');
}

/** PostgreSQL to_tsquery('simple', ...) expression: AND of terms, `:*` prefix on the last. */
export function tsQuery(search: SearchTerms): string {
  return search.terms.map((t, i) => `'${t}'${i === search.terms.length - 1 ? ':*' : ''}`).join(' & ');
}

/** The reference matcher: what both engines must return, in TypeScript (used by the contract tests). */
export function matches(search: SearchTerms, video: { title: string; description: string; tags: readonly string[] }): boolean {
  const indexed = searchText(video).split(' ');
  return search.terms.every((term, i) =>
    i === search.terms.length - 1 ? indexed.some((w) => w.startsWith(term)) : indexed.includes(term),
  );
}
