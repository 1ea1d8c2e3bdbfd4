// How an object's bytes are answered, decided once for every delivery response (objects on the
// plain Node path, manifests through Hono): RFC 9110 §13.1.2 If-None-Match → 304, §14 Range → 206
// or 416 (several ranges or a malformed header: the whole representation, which a server may send),
// HEAD → the same headers without a body.
import { decideRange, etagMatches } from '@vought/runtime';

export interface ByteRequest {
  method: string;
  range: string | undefined;
  ifNoneMatch: string | undefined;
}

export type BytePlan =
  | { status: 304 }
  | { status: 416; size: number }
  | { status: 200 | 206; start: number; end: number; size: number; body: boolean };

export function planBytes(request: ByteRequest, size: number, etag: string): BytePlan {
  if (etagMatches(request.ifNoneMatch, etag)) return { status: 304 };
  const range = decideRange(request.range, size);
  if (range.kind === 'unsatisfiable') return { status: 416, size };
  const body = request.method !== 'HEAD';
  if (range.kind === 'partial') return { status: 206, start: range.start, end: range.end, size, body };
  return { status: 200, start: 0, end: size - 1, size, body };
}

/** The headers a plan adds to an object's own (length, range). */
export function planHeaders(plan: BytePlan, headers: Record<string, string>): Record<string, string> {
  if (plan.status === 304) {
    const out: Record<string, string> = {};
    for (const name of ['etag', 'cache-control', 'last-modified', 'vary', 'surrogate-key', 'surrogate-control', 'x-vought-access'])
      if (headers[name] !== undefined) out[name] = headers[name] as string;
    return out;
  }
  if (plan.status === 416) return { ...headers, 'content-range': `bytes */${plan.size}`, 'content-length': '0' };
  const out: Record<string, string> = { ...headers, 'content-length': String(plan.end - plan.start + 1) };
  if (plan.status === 206) out['content-range'] = `bytes ${plan.start}-${plan.end}/${plan.size}`;
  return out;
}
