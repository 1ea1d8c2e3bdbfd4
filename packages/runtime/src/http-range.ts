// RFC 9110 §14: byte ranges. One range is served as 206; several (rare from players) are answered
// with the whole representation (allowed: a server MAY ignore Range); a range that cannot be
// satisfied is 416 with `Content-Range: bytes */size`.
export type RangeDecision = { kind: 'whole' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

export function decideRange(header: string | undefined, size: number): RangeDecision {
  if (!header) return { kind: 'whole' };
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return { kind: 'whole' }; // malformed or multiple ranges: ignore the header
  const [, a, b] = match;
  if (a === '' && b === '') return { kind: 'whole' };
  if (a === '') {
    // suffix range: the last N bytes
    const n = Number(b);
    if (n === 0) return { kind: 'unsatisfiable' };
    return size === 0 ? { kind: 'unsatisfiable' } : { kind: 'partial', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (start >= size || (b !== '' && Number(b) < start)) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end };
}
