// Graceful stop of a service's HTTP server, the part of SIGTERM handling every service shares:
//  1. the listening socket closes at once: new connections are refused (a load balancer retries a
//     refused connection elsewhere, which it cannot do for a request cut half-way);
//  2. requests in flight finish, within SHUTDOWN_GRACE_MS;
//  3. a keep-alive connection that sends one more request meanwhile (a load balancer's or an edge's
//     pooled connection) gets it answered with `Connection: close` instead of a reset; idle
//     connections are closed once nothing is in flight;
//  4. Server-Sent Event streams, which never finish by themselves, are cut at once (EventSource
//     clients reconnect, to another node);
//  5. past the grace period whatever is left is cut, and counted.
// The caller turns readiness to 503 first (Readiness.drain()), so the same keep-alive connections
// also carry the news to whoever probes /readyz.
import type http from 'node:http';
import net from 'node:net';

/** How long a service finishes requests in flight after SIGTERM before it cuts them. */
export const SHUTDOWN_GRACE_MS = 20_000;

export interface DrainResult {
  /** Requests still in flight when the grace period ran out (their connections were cut). */
  cut: number;
  /** Event streams cut at the start. */
  streams: number;
  ms: number;
}

function isEventStream(res: http.ServerResponse): boolean {
  const type = res.getHeader('content-type');
  if (typeof type === 'string') return type.startsWith('text/event-stream');
  // Headers given to writeHead() (as @hono/node-server does) are not kept for getHeader(): read
  // the head as sent. `_header` is the serialized head, there since Node's first http module.
  const head = (res as unknown as { _header?: unknown })._header;
  return typeof head === 'string' && /^content-type:\s*text\/event-stream/im.test(head);
}

export class HttpDrain {
  private readonly active = new Set<http.ServerResponse>();
  private draining = false;
  private changed: (() => void) | undefined;
  private result: Promise<DrainResult> | undefined;

  /** Call right after creating the server, before it takes requests. */
  constructor(private readonly server: http.Server) {
    server.prependListener('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
      this.active.add(res);
      if (this.draining) res.setHeader('connection', 'close');
      res.once('close', () => {
        this.active.delete(res);
        this.changed?.();
      });
    });
  }

  /** Requests being answered now. */
  get inFlight(): number {
    return this.active.size;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** Stops the server as described above; resolves once every connection is closed. Idempotent. */
  close(graceMs = SHUTDOWN_GRACE_MS): Promise<DrainResult> {
    this.result ??= this.run(graceMs);
    return this.result;
  }

  private async run(graceMs: number): Promise<DrainResult> {
    const started = performance.now();
    this.draining = true;
    const server = this.server;
    // net.Server's close, not http.Server's: the latter also drops idle keep-alive connections at
    // once, racing any request a client is sending on one right now.
    const closed = server.listening
      ? new Promise<void>((resolve) => net.Server.prototype.close.call(server, () => resolve()))
      : Promise.resolve();
    let streams = 0;
    for (const res of this.active) {
      if (res.headersSent && isEventStream(res)) {
        res.destroy();
        streams++;
      } else if (!res.headersSent) res.setHeader('connection', 'close');
    }
    const deadline = Date.now() + graceMs;
    while (this.active.size > 0 && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        this.changed = resolve;
        setTimeout(resolve, Math.min(250, Math.max(1, deadline - Date.now()))).unref();
      });
    }
    this.changed = undefined;
    const cut = this.active.size;
    if (cut > 0) server.closeAllConnections();
    else server.closeIdleConnections();
    // Connections that are neither idle nor carrying a request (a client that opened one and sent
    // nothing, or a half-sent request head) are what remains; they get no grace.
    const rest = setTimeout(() => server.closeAllConnections(), 1000);
    rest.unref();
    await closed;
    clearTimeout(rest);
    return { cut, streams, ms: Math.round(performance.now() - started) };
  }
}
