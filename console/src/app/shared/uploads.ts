// What the CLI's and the console's tus uploads have in common (tus-js-client itself stays with
// each of them: Node streams and a file store there, File and localStorage here).
import type { ApiErrorBody, Video } from './api-types.ts';

/** Title from a file name: no extension, separators as spaces; `fallback` when nothing is left. */
export function titleOf(name: string, fallback = 'Untitled'): string {
  const base = name
    .replace(/\.[^.]{1,5}$/, '')
    .replace(/[_.]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return (base || fallback).slice(0, 200);
}

/** A video an earlier, interrupted upload may continue into: its source is not complete yet. */
export const uploadable = (video: Video) => video.status === 'waiting_upload' || video.status === 'uploading';

/**
 * A failed tus request, as far as it can be told apart: the API's error message when the response
 * was its JSON error, the HTTP status, and whether a response came at all (null: the connection
 * failed). Read structurally, so this module does not import tus-js-client.
 */
export function tusFailure(error: unknown): { apiMessage?: string; status?: number; noResponse: boolean; message: string | undefined } {
  const detailed = error as { originalResponse?: { getBody(): string; getStatus(): number } | null; message?: string };
  const response = detailed.originalResponse;
  const failure = { noResponse: response === null, message: detailed.message };
  const body = response?.getBody?.();
  if (response && body) {
    try {
      const apiMessage = (JSON.parse(body) as ApiErrorBody).error?.message;
      if (apiMessage) return { ...failure, apiMessage, status: response.getStatus() };
    } catch {
      // not JSON
    }
  }
  return failure;
}

/** Bytes per second over the last five seconds or so, from the running total sent. */
export class RateMeter {
  private samples: Array<[number, number]> = [];

  /** Adds a sample; the rate, or undefined until there are two samples apart in time. */
  add(sent: number, now: number): number | undefined {
    this.samples.push([now, sent]);
    while (this.samples.length > 2 && now - (this.samples[0]?.[0] ?? now) > 5000) this.samples.shift();
    const first = this.samples[0];
    return first && now > first[0] ? ((sent - first[1]) * 1000) / (now - first[0]) : undefined;
  }
}
