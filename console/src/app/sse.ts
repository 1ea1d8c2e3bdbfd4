// A video's Server-Sent Events (shared/events.ts, the CLI's too) with the session's token.
// Reconnects (after a pause) until the caller aborts; stops when refused.
import { authHeaders } from './api.ts';
import type { VideoEvent } from './shared/api-types.ts';
import { followEvents as follow } from './shared/events.ts';

export function followEvents(id: string, onEvent: (event: VideoEvent) => void, signal: AbortSignal): Promise<void> {
  return follow(
    { url: `/v1/videos/${encodeURIComponent(id)}/events`, headers: authHeaders, signal, retry: { first: 1000, max: 15_000 } },
    onEvent,
  );
}
