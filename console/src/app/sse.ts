// A video's Server-Sent Events (@vought/api-client's followEvents, shared with the CLI) with the
// session's token. Reconnects (after a pause) until the caller aborts; stops when refused.
import { followEvents as follow, type VideoEvent } from '@vought/api-client';
import { authHeaders } from './api.ts';

export function followEvents(id: string, onEvent: (event: VideoEvent) => void, signal: AbortSignal): Promise<void> {
  return follow(
    { url: `/v1/videos/${encodeURIComponent(id)}/events`, headers: authHeaders, signal, retry: { first: 1000, max: 15_000 } },
    onEvent,
  );
}
