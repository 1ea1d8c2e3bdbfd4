// A video's Server-Sent Events, read with fetch: EventSource cannot send the Authorization header,
// and API tokens never go in URLs. The same code in Node (the CLI) and the browser (the console):
// fetch, ReadableStream readers and TextDecoder are in both.
import type { VideoEvent } from './api-types.ts';

/**
 * Splits a text/event-stream into its events: `push` the text as it arrives, get back the `data`
 * of each event it completes (multi-line data joined with \n; events without data left out).
 */
export class SseParser {
  private buffer = '';

  push(text: string): string[] {
    this.buffer += text;
    const data: string[] = [];
    for (let end = this.buffer.search(/\r?\n\r?\n/); end >= 0; end = this.buffer.search(/\r?\n\r?\n/)) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end).replace(/^\r?\n\r?\n/, '');
      const lines = block.split(/\r?\n/).filter((line) => line.startsWith('data:'));
      const joined = lines.map((line) => line.slice(5).trimStart()).join('\n');
      if (joined) data.push(joined);
    }
    return data;
  }
}

export interface FollowOptions {
  /** The events URL, absolute in Node. */
  url: string;
  /** Headers of each (re)connection, read each time: the token may have been renewed. */
  headers: () => Record<string, string>;
  /** Ends following (no error). */
  signal: AbortSignal;
  /** The wait before reconnecting, doubled after each failed attempt up to `max` (ms). */
  retry: { first: number; max: number };
  /** 401, 403 or 404: following stops (after this, which may throw to fail instead). */
  onRefused?: (status: number) => void;
}

/**
 * Follows `options.url` until the signal aborts, the server refuses, or `onEvent` returns true
 * (done); reconnects after a dropped connection or a failed attempt. Each event's data is parsed as
 * JSON (non-JSON data is skipped); what `onEvent` throws counts as a failed attempt.
 */
export async function followEvents(options: FollowOptions, onEvent: (event: VideoEvent) => unknown): Promise<void> {
  const { signal, retry } = options;
  let failures = 0;
  while (!signal.aborted) {
    let refused = 0;
    try {
      const response = await fetch(options.url, { headers: { ...options.headers(), accept: 'text/event-stream' }, signal });
      if (response.status === 404 || response.status === 401 || response.status === 403) refused = response.status;
      else {
        if (!response.ok || !response.body) throw new Error(`events: HTTP ${response.status}`);
        failures = 0;
        if (await readEvents(response.body, onEvent)) return;
      }
    } catch {
      if (signal.aborted) return;
      failures++;
    }
    if (refused) {
      options.onRefused?.(refused);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(retry.first * 2 ** failures, retry.max)));
  }
}

/** Reads one connection's events to its end; true once `onEvent` has said it is done. */
async function readEvents(body: ReadableStream<Uint8Array>, onEvent: (event: VideoEvent) => unknown): Promise<boolean> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return false;
    for (const data of parser.push(decoder.decode(value, { stream: true }))) {
      let event: VideoEvent | null;
      try {
        event = JSON.parse(data) as VideoEvent | null;
      } catch {
        continue; // not JSON: ignored
      }
      if (event && onEvent(event) === true) {
        await reader.cancel().catch(() => {});
        return true;
      }
    }
  }
}
