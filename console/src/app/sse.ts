// A video's Server-Sent Events through fetch: EventSource cannot send the Authorization header,
// and API tokens never go in URLs. Reconnects (after a pause) until the caller aborts.
import { authHeaders } from './api.ts';

export type VideoEvent =
  | { type: 'video.status'; videoId: string; status: string; error?: string; at: string }
  | { type: 'video.progress'; videoId: string; percent: number; speed?: number; at: string }
  | { type: 'video.updated'; videoId: string; at: string };

export async function followEvents(id: string, onEvent: (event: VideoEvent) => void, signal: AbortSignal): Promise<void> {
  let failures = 0;
  while (!signal.aborted) {
    try {
      const response = await fetch(`/v1/videos/${encodeURIComponent(id)}/events`, {
        headers: { ...authHeaders(), accept: 'text/event-stream' },
        signal,
      });
      if (response.status === 404 || response.status === 401 || response.status === 403) return;
      if (!response.ok || !response.body) throw new Error(`events: ${response.status}`);
      failures = 0;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end = buffer.search(/\r?\n\r?\n/);
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
          const data = block
            .split(/\r?\n/)
            .filter((line) => line.startsWith('data:'))
            .map((line) => line.slice(5).trimStart())
            .join('\n');
          if (data) {
            try {
              onEvent(JSON.parse(data) as VideoEvent);
            } catch {
              // not JSON: ignored
            }
          }
          end = buffer.search(/\r?\n\r?\n/);
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      failures++;
      void error;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(1000 * 2 ** failures, 15_000)));
  }
}
