// The control API from the command line: JSON over fetch with the Bearer token, errors with the
// exit code scripts rely on (4: not found or not allowed; 1: anything else). The JSON shapes and
// the events stream are the console's code (@vought/console/api-client), shared.
import { type ApiErrorBody, followEvents as followVideoEvents, type Video, type VideoEvent } from '@vought/console/api-client';

export type { Video };
export const EXIT = { ok: 0, failure: 1, usage: 2, encodeFailed: 3, notFoundOrAuth: 4, interrupted: 130 } as const;

/** An error that ends the command with a message (no stack) and an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
  }
}

export class ApiClient {
  readonly base: string;

  constructor(
    url: string,
    readonly token: string | undefined,
  ) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new CliError(`--url: '${url}' is not a URL (for example http://127.0.0.1:8080)`, EXIT.usage);
    }
    this.base = parsed.href.replace(/\/$/, '');
  }

  headers(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }

  absolute(path: string): string {
    return new URL(path, `${this.base}/`).href;
  }

  requireToken(what: string): void {
    if (!this.token)
      throw new CliError(
        `${what} needs a token: pass --token or set VOUGHT_TOKEN (on a development server: npx vought token --role editor)`,
        EXIT.notFoundOrAuth,
      );
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.absolute(path), {
        method,
        headers: { ...this.headers(), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(`cannot reach ${this.base}: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
    }
    if (response.status === 204) return undefined as T;
    const parsed = (await response.json().catch(() => null)) as ApiErrorBody | null;
    if (!response.ok) {
      const message = parsed?.error?.message ?? response.statusText;
      const code = response.status === 401 || response.status === 403 || response.status === 404 ? EXIT.notFoundOrAuth : EXIT.failure;
      throw new CliError(`${message} (HTTP ${response.status}${parsed?.error?.code ? `, ${parsed.error.code}` : ''})`, code);
    }
    return parsed as T;
  }

  getVideo(id: string): Promise<Video> {
    return this.request<Video>('GET', `/v1/videos/${encodeURIComponent(id)}`);
  }
}

/**
 * A video's Server-Sent Events (the console's followEvents, @vought/console/api-client), the
 * token in the Authorization header; reconnects until `signal` aborts or `onEvent` returns true
 * (done). A refusal (401, 403, 404) ends the command with exit code 4.
 */
export function followEvents(client: ApiClient, id: string, onEvent: (event: VideoEvent) => boolean, signal: AbortSignal): Promise<void> {
  return followVideoEvents(
    {
      url: client.absolute(`/v1/videos/${encodeURIComponent(id)}/events`),
      headers: () => client.headers(),
      signal,
      retry: { first: 500, max: 10_000 },
      onRefused: (status) => {
        throw new CliError(`video ${id}: events refused (HTTP ${status})`, EXIT.notFoundOrAuth);
      },
    },
    onEvent,
  );
}
