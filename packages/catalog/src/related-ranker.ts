// The baseline recommender's ranking, in one place for both engines: the SQL only fetches a
// bounded set of candidates (public, ready videos sharing a tag, or with a word of the title in
// their indexed text; the 200 newest), and the order is decided here, so SQLite and PostgreSQL
// cannot disagree on it. Order: more shared tags first (tags compare exactly, as the tag filter
// does: the engines' lower() functions fold case differently), then higher Jaccard similarity of
// the title words, then newest, then id descending: a total order, so equal scores never flap.
import type { Video } from './catalog-types.ts';
import { words } from './search-query.ts';

export const MAX_RELATED_CANDIDATES = 200;
export const MAX_RELATED = 100;

interface Scored {
  video: Video;
  sharedTags: number;
  /** Jaccard similarity as a fraction, compared exactly (no floating point). */
  common: number;
  union: number;
}

export function rankRelated(video: Video, candidates: readonly Video[], limit: number): Video[] {
  const tags = new Set(video.tags);
  const titleWords = new Set(words(video.title));
  const scored: Scored[] = [];
  for (const candidate of candidates) {
    if (candidate.id === video.id) continue;
    const sharedTags = new Set(candidate.tags.filter((t) => tags.has(t))).size;
    const other = new Set(words(candidate.title));
    const common = [...other].filter((w) => titleWords.has(w)).length;
    const union = new Set([...other, ...titleWords]).size;
    if (sharedTags === 0 && common === 0) continue;
    scored.push({ video: candidate, sharedTags, common, union });
  }
  scored.sort(
    (a, b) =>
      b.sharedTags - a.sharedTags ||
      b.common * a.union - a.common * b.union ||
      compareDesc(a.video.createdAt, b.video.createdAt) ||
      compareDesc(a.video.id, b.video.id),
  );
  return scored.slice(0, limit).map((s) => s.video);
}

/** Descending by code unit, as both databases compare these ASCII strings. */
function compareDesc(a: string, b: string): number {
  return a < b ? 1 : a > b ? -1 : 0;
}
