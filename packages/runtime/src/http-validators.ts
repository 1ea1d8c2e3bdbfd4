// RFC 9110 §13.1.2: If-None-Match, answered the same way by origins and edges.
/** Whether an If-None-Match header matches a strong ETag (a list, or `*`). */
export function etagMatches(ifNoneMatch: string | null | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}
