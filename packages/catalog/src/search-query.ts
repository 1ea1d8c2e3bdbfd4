// Search must answer the same on SQLite and PostgreSQL. The engines' own tokenizers and case
// folding do not agree, and neither agrees with JavaScript:
// - FTS5 unicode61 (Unicode 6.1 tables) treats spacing marks and viramas as separators, so it
//   splits Devanagari "हिन्दी" into three tokens, and it folds Greek final sigma ς into σ;
// - PostgreSQL's parser splits "12e3f" into a number "12e3" and a word "f", and what it calls a
//   letter depends on the database's LC_CTYPE;
// - both change between versions of their Unicode tables.
// So neither engine is trusted with text. This module turns text into words once, in TypeScript;
// each word is then stored as an *index token* made only of the letters a-p (its UTF-8 bytes, one
// letter per nibble). On such tokens FTS5 and PostgreSQL's `simple` configuration (no stemming,
// no stop words) can only do exact and prefix matching of whole tokens, identically. The encoding
// keeps prefixes: UTF-8 is a prefix code and every byte takes two letters, so a word starts with
// a term exactly when its token starts with the term's token. That makes search-as-you-type on
// the last term work the same way too.

const WORD = /[\p{L}\p{M}\p{N}]+/gu;
export const MAX_TERMS = 10;
export const MAX_TERM_LENGTH = 64;
/** Queries longer than this are cut before tokenizing (only the first terms count anyway). */
const MAX_QUERY_LENGTH = 4096;

/** Lowercased NFKC words of Unicode letters, marks and digits, each cut to 64 code points. */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const [word] of text.normalize('NFKC').toLowerCase().matchAll(WORD)) out.push(cut(word));
  return out;
}

/** Cut to MAX_TERM_LENGTH code points (never half a surrogate pair). */
function cut(word: string): string {
  if (word.length <= MAX_TERM_LENGTH) return word;
  return Array.from(word).slice(0, MAX_TERM_LENGTH).join('');
}

const NIBBLE = 'abcdefghijklmnop';

/** The index token of a word: its UTF-8 bytes, each nibble as a letter a-p. */
export function indexToken(word: string): string {
  let token = '';
  for (const byte of Buffer.from(word, 'utf8')) token += (NIBBLE[byte >> 4] as string) + (NIBBLE[byte & 15] as string);
  return token;
}

/** Space-separated words → space-separated index tokens (migration 3 reindexes old rows with it). */
export function indexTokens(plainWords: string): string {
  return plainWords
    .split(' ')
    .filter((w) => w !== '')
    .map(indexToken)
    .join(' ');
}

interface Searchable {
  title: string;
  description: string;
  tags: readonly string[];
}

/** The words a video is found by: its title, description and tags. */
export function videoWords(video: Searchable): string[] {
  return [...words(video.title), ...words(video.description), ...video.tags.flatMap(words)];
}

/** The stored `search_text` column: the video's words as index tokens. */
export function searchText(video: Searchable): string {
  return videoWords(video).map(indexToken).join(' ');
}

export interface SearchTerms {
  /** Every term must match a word; the last matches as a prefix (search as you type). */
  terms: string[];
}

/** Null when the query has no words (then it does not filter). */
export function parseSearch(q: string | undefined): SearchTerms | null {
  if (!q) return null;
  const terms: string[] = [];
  for (const word of words(q.slice(0, MAX_QUERY_LENGTH))) {
    if (terms.length === MAX_TERMS) break;
    terms.push(word);
  }
  return terms.length ? { terms } : null;
}

/** FTS5 MATCH expression: quoted tokens are literal; `*` after the last makes it a prefix query. */
export function fts5Match(search: SearchTerms): string {
  const last = search.terms.length - 1;
  return search.terms.map((t, i) => `"${indexToken(t)}"${i === last ? '*' : ''}`).join(' AND ');
}

/** PostgreSQL to_tsquery('simple', ...) expression: AND of tokens, `:*` (prefix) on the last. */
export function tsQuery(search: SearchTerms): string {
  const last = search.terms.length - 1;
  return search.terms.map((t, i) => `${indexToken(t)}${i === last ? ':*' : ''}`).join(' & ');
}

/** Any of the words, whole (the related-video candidates): FTS5 and tsquery forms. */
export function fts5Any(anyWords: readonly string[]): string {
  return anyWords.map((w) => `"${indexToken(w)}"`).join(' OR ');
}
export function tsQueryAny(anyWords: readonly string[]): string {
  return anyWords.map(indexToken).join(' | ');
}

/**
 * The reference matcher: what both engines must return, over plain words (no index tokens), so
 * the contract tests also check the encoding.
 */
export function matches(search: SearchTerms, video: Searchable): boolean {
  const indexed = videoWords(video);
  const last = search.terms.length - 1;
  return search.terms.every((term, i) => (i === last ? indexed.some((w) => w.startsWith(term)) : indexed.includes(term)));
}
