// The control API from the page: JSON in and out, the session's token as Bearer, errors as
// ApiFailure with the API's code and message. The JSON shapes are shared/api-types.ts (the CLI's
// too).
import { session, signOut } from './auth.ts';
import type { ApiErrorBody, Delivery, PlaybackToken, Video, VideoDetails, VideoPage, Visibility, Webhook } from './shared/api-types.ts';

export type { Video, VideoPage, Visibility, Webhook };

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** What to tell people about a failed call: the API's message, or the error as it is. */
export const failureMessage = (error: unknown) => (error instanceof ApiFailure ? error.message : String(error));

export function authHeaders(): Record<string, string> {
  const token = session()?.token;
  return token ? { authorization: `Bearer ${token}` } : {};
}

export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown; signal?: AbortSignal; anonymous?: boolean } = {},
): Promise<T> {
  const headers: Record<string, string> = init.anonymous ? {} : authHeaders();
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method: init.method ?? 'GET',
      headers,
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      ...(init.signal ? { signal: init.signal } : {}),
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiFailure(0, 'network', 'The server cannot be reached. Check your connection and try again.');
  }
  if (response.status === 204) return undefined as T;
  const body = (await response.json().catch(() => null)) as ApiErrorBody | null;
  if (!response.ok) {
    const code = body?.error?.code ?? `http.${response.status}`;
    // an expired or revoked token: sign out, so the page offers signing in again
    if (response.status === 401 && !init.anonymous && session()) signOut('Your session has ended. Sign in again.');
    throw new ApiFailure(response.status, code, body?.error?.message ?? response.statusText);
  }
  return body as T;
}

const q = (params: Record<string, string | number | undefined | null>) => {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') search.set(k, String(v));
  const s = search.toString();
  return s ? `?${s}` : '';
};

export const videos = {
  list: (
    params: { q?: string; tag?: string; status?: string; owner?: string; cursor?: string | null; limit?: number },
    signal?: AbortSignal,
  ) => api<VideoPage>(`/v1/videos${q(params)}`, signal ? { signal } : {}),
  get: (id: string) => api<Video>(`/v1/videos/${encodeURIComponent(id)}`),
  create: (body: Pick<VideoDetails, 'title'> & Partial<VideoDetails>) => api<Video>('/v1/videos', { method: 'POST', body }),
  update: (id: string, body: Partial<VideoDetails>) => api<Video>(`/v1/videos/${encodeURIComponent(id)}`, { method: 'PATCH', body }),
  remove: (id: string) => api<void>(`/v1/videos/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  related: (id: string) => api<VideoPage>(`/v1/videos/${encodeURIComponent(id)}/related?limit=8`),
  playbackToken: (id: string) => api<PlaybackToken>(`/v1/videos/${encodeURIComponent(id)}/playback-tokens`, { method: 'POST', body: {} }),
};

export const webhooks = {
  list: () => api<{ items: Webhook[] }>('/v1/webhooks'),
  create: (body: { url: string; events: string[] }) => api<Webhook>('/v1/webhooks', { method: 'POST', body }),
  remove: (id: string) => api<void>(`/v1/webhooks/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  deliveries: (id: string) => api<{ items: Delivery[] }>(`/v1/webhooks/${encodeURIComponent(id)}/deliveries`),
};

/** Playback tokens per private video, reused until a minute before they expire. */
const tokens = new Map<string, Promise<PlaybackToken>>();
export function playbackToken(id: string): Promise<PlaybackToken> {
  const cached = tokens.get(id);
  if (cached) {
    return cached.then((t) => {
      if (Date.parse(t.expiresAt) - Date.now() > 60_000) return t;
      tokens.delete(id);
      return playbackToken(id);
    });
  }
  const made = videos.playbackToken(id);
  tokens.set(id, made);
  made.catch(() => tokens.delete(id));
  return made;
}
export const forgetPlaybackTokens = () => tokens.clear();

export const absolute = (path: string) => new URL(path, location.origin).href;
