// The baseline recommender's ranking, in one place for both engines: the SQL only fetches a
// bounded set of candidates (videos sharing a tag or a title word); the order is decided here.
import type { Video } from './index.ts';
import { words } from './search-query.ts';

export function rankRelated(video: Video, candidates: Video[], limit: number): Video[] {
  const tags = new Set(video.tags.map((t) => t.toLowerCase()));
  const titleWords = new Set(words(video.title));
  const scored = candidates
    .filter((c) => c.id !== video.id)
    .map((c) => {
      const sharedTags = c.tags.filter((t) => tags.has(t.toLowerCase())).length;
      const other = new Set(words(c.title));
      const common = [...other].filter((w) => titleWords.has(w)).length;
      const union = new Set([...other, ...titleWords]).size;
      const similarity = union ? common / union : 0;
      return { video: c, score: sharedTags * 10 + similarity * 5 };
    })
    .filter((s) => s.score > 0);
  scored.sort(
    (a, b) =>
      b.score - a.score ||
      (a.video.createdAt < b.video.createdAt ? 1 : a.video.createdAt > b.video.createdAt ? -1 : a.video.id < b.video.id ? 1 : -1),
  );
  return scored.slice(0, limit).map((s) => s.video);
}
