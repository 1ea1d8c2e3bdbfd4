// The edge's upstreams (origins, or a shield edge): two connection pools per upstream so that
// long or streaming pass-through responses (event streams, uploads, large files) can never take
// the connections that cache fills need, timeouts on fills, a circuit breaker, and failover that
// happens only before a response's head: once a byte of one upstream's answer has gone out,
// another upstream's answer cannot be appended to it.
import type { Readable } from 'node:stream';
import type { Logger } from '@vought/observability';
import { Pool } from 'undici';

export type PoolKind = 'fill' | 'pass';

export interface UpstreamRequest {
  path: string;
  method: string;
  headers: Record<string, string>;
  body?: Readable | null;
  signal?: AbortSignal;
  /** GET, HEAD, OPTIONS: may be retried on the next upstream after a failure or a 5xx. */
  idempotent: boolean;
}

export interface UpstreamResponse {
  upstream: string;
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
}

interface Upstream {
  url: string;
  pools: Record<PoolKind, Pool>;
  failures: number;
  openUntil: number;
}

/** Errors raised before a request reached the upstream: safe to retry whatever the method. */
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

export type UpstreamErrorReason = 'connect' | 'timeout' | 'reset' | 'status_5xx' | 'breaker_open';
export const UPSTREAM_ERROR_REASONS: readonly UpstreamErrorReason[] = ['connect', 'timeout', 'reset', 'status_5xx', 'breaker_open'];

function reasonOf(code: string): UpstreamErrorReason {
  if (code === 'UPSTREAM_5XX') return 'status_5xx';
  if (/TIMEOUT/.test(code)) return 'timeout';
  if (CONNECT_ERRORS.has(code)) return 'connect';
  return 'reset';
}

export class Upstreams {
  private readonly upstreams: Upstream[];
  private readonly onError: (upstream: string, reason: UpstreamErrorReason) => void;

  constructor(
    urls: string[],
    private readonly logger: Logger,
    options: {
      fillConnections?: number;
      passConnections?: number;
      fillTimeoutMs?: number;
      /** Told of every failed attempt (metrics): the upstream and why. */
      onError?: (upstream: string, reason: UpstreamErrorReason) => void;
    } = {},
  ) {
    this.onError = options.onError ?? (() => undefined);
    const fillTimeout = options.fillTimeoutMs ?? 30_000;
    this.upstreams = urls.map((url) => ({
      url,
      pools: {
        // Fills: bounded time to the head and between body chunks, so a stalled upstream cannot hold one.
        fill: new Pool(url, {
          connections: options.fillConnections ?? 128,
          keepAliveTimeout: 30_000,
          headersTimeout: fillTimeout,
          bodyTimeout: fillTimeout,
        }),
        // Pass-through: event streams stay open for minutes with keep-alives; no body timeout.
        pass: new Pool(url, {
          connections: options.passConnections ?? 256,
          keepAliveTimeout: 30_000,
          headersTimeout: fillTimeout,
          bodyTimeout: 0,
        }),
      },
      failures: 0,
      openUntil: 0,
    }));
  }

  get urls(): string[] {
    return this.upstreams.map((u) => u.url);
  }

  /**
   * One exchange: healthy upstreams first; on a connection error (any method) or a 5xx (idempotent
   * methods) the next one is tried. Resolves at the head; the caller owns the body from then on,
   * and no failover happens after that.
   */
  async request(kind: PoolKind, request: UpstreamRequest): Promise<UpstreamResponse> {
    const now = Date.now();
    const order = [...this.upstreams].sort((a, b) => Number(a.openUntil > now) - Number(b.openUntil > now));
    let lastError: Error = new Error('no upstream configured');
    for (const [i, u] of order.entries()) {
      const last = i === order.length - 1;
      if (u.openUntil > now) this.onError(u.url, 'breaker_open');
      try {
        const res = await u.pools[kind].request({
          path: request.path,
          method: request.method as 'GET',
          headers: request.headers,
          body: request.body ?? null,
          ...(request.signal ? { signal: request.signal } : {}),
        });
        if (res.statusCode >= 500 && request.idempotent && !last) {
          await res.body.dump();
          throw Object.assign(new Error(`upstream ${u.url} answered ${res.statusCode}`), { code: 'UPSTREAM_5XX' });
        }
        if (u.failures > 0) this.logger.info({ upstream: u.url }, 'upstream answers again');
        u.failures = 0;
        u.openUntil = 0;
        return { upstream: u.url, statusCode: res.statusCode, headers: res.headers, body: res.body };
      } catch (error) {
        if (request.signal?.aborted) throw error;
        lastError = error as Error;
        const code = (error as { code?: string }).code ?? '';
        this.onError(u.url, reasonOf(code));
        // Circuit breaker: five failures in a row take an upstream out for five seconds.
        if (++u.failures >= 5 && u.openUntil <= Date.now()) {
          u.openUntil = Date.now() + 5_000;
          this.logger.warn({ upstream: u.url, err: lastError.message }, 'upstream taken out for 5 s after 5 failures');
        }
        const retryable = request.idempotent || CONNECT_ERRORS.has(code);
        if (!retryable || last) break;
        this.logger.warn({ upstream: u.url, err: lastError.message, path: request.path }, 'upstream failed: trying the next');
      }
    }
    throw lastError;
  }

  async close(): Promise<void> {
    await Promise.all(this.upstreams.flatMap((u) => [u.pools.fill.close(), u.pools.pass.close()]));
  }
}
