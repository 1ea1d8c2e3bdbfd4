// The control API from the command line: JSON over fetch with the Bearer token, errors with the
// exit code scripts rely on (4: not found or not allowed; 1: anything else).
export interface Video {
  id: string;
  owner: string;
  title: string;
  description: string;
  tags: string[];
  visibility: 'public' | 'unlisted' | 'private';
  status: 'waiting_upload' | 'uploading' | 'queued' | 'processing' | 'ready' | 'failed';
  error: string | null;
  duration: number | null;
  renditions: Array<{ id: string; type: string; width?: number; height?: number; bandwidth?: number; language?: string }>;
  createdAt: string;
  updatedAt: string;
  links: { self: string; hls: string; dash: string; upload: string; events: string };
}

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
    const parsed = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
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
 * A video's Server-Sent Events, read with fetch (the token goes in the Authorization header);
 * reconnects until `signal` aborts or `onEvent` returns true (done).
 */
export async function followEvents(
  client: ApiClient,
  id: string,
  onEvent: (event: { type: string; status?: string; error?: string; percent?: number }) => boolean | undefined,
  signal: AbortSignal,
): Promise<void> {
  let failures = 0;
  while (!signal.aborted) {
    try {
      const response = await fetch(client.absolute(`/v1/videos/${encodeURIComponent(id)}/events`), {
        headers: { ...client.headers(), accept: 'text/event-stream' },
        signal,
      });
      if (response.status === 404 || response.status === 401 || response.status === 403)
        throw new CliError(`video ${id}: events refused (HTTP ${response.status})`, EXIT.notFoundOrAuth);
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      failures = 0;
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end = buffer.search(/\r?\n\r?\n/);
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
          const data = block
            .split(/\r?\n/)
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).trimStart())
            .join('\n');
          if (data) {
            let event: Parameters<typeof onEvent>[0] | undefined;
            try {
              event = JSON.parse(data);
            } catch {
              event = undefined;
            }
            if (event && onEvent(event)) return;
          }
          end = buffer.search(/\r?\n\r?\n/);
        }
      }
    } catch (error) {
      if (error instanceof CliError) throw error;
      if (signal.aborted) return;
      failures++;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** failures, 10_000)));
  }
}
