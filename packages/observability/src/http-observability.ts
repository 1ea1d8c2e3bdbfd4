// Hono middleware shared by origin, encoder and edge: request id, scoped logger, server span with
// the incoming trace context, and the request-duration histogram by route template.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Hono, MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { Logger } from './logger.ts';
import { Gauge, type ServiceMetrics } from './metrics.ts';
import type { Readiness } from './readiness.ts';

declare module 'hono' {
  interface ContextVariableMap {
    requestId: string;
    log: Logger;
  }
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** A readiness result younger than this is reported as is by readiness_dependency_up. */
const READINESS_FRESH_MS = 10_000;

export function observe(options: { logger: Logger; metrics: ServiceMetrics; logRequests?: boolean }): MiddlewareHandler {
  const tracer = trace.getTracer('vought');
  return async (c, next) => {
    const started = performance.now();
    // Under @hono/node-server the Node response is at hand: the bytes its socket sends for this
    // response are counted when it closes (streams included, whatever their length).
    const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
    const socket = outgoing?.socket ?? undefined;
    const sentBefore = socket?.bytesWritten ?? 0;
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    c.set('requestId', requestId);
    const carrier: Record<string, string> = {};
    const traceparent = c.req.header('traceparent');
    if (traceparent) carrier.traceparent = traceparent;
    const tracestate = c.req.header('tracestate');
    if (tracestate) carrier.tracestate = tracestate;
    const parent = propagation.extract(context.active(), carrier);
    const span = tracer.startSpan(
      `${c.req.method}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': c.req.method, 'url.path': c.req.path } },
      parent,
    );
    const log = options.logger.child({ req_id: requestId });
    c.set('log', log);
    try {
      await context.with(trace.setSpan(parent, span), next);
    } finally {
      const route = routePath(c) || 'unmatched';
      const status = c.res.status;
      span.updateName(`${c.req.method} ${route}`);
      span.setAttribute('http.route', route);
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      c.res.headers.set('x-request-id', requestId);
      const seconds = (performance.now() - started) / 1000;
      options.metrics.httpDuration.observe({ method: c.req.method, route, status: String(status) }, seconds);
      const bytes = options.metrics.responseBytes;
      if (outgoing && socket) {
        outgoing.once('close', () => bytes.inc({ route }, Math.max(0, socket.bytesWritten - sentBefore)));
      } else {
        // app.request() in tests, other runtimes: the declared body length
        const length = Number(c.res.headers.get('content-length') ?? Number.NaN);
        if (c.req.method !== 'HEAD' && Number.isFinite(length)) bytes.inc({ route }, length);
      }
      if (options.logRequests ?? true) {
        log.info({ method: c.req.method, path: c.req.path, route, status, ms: Math.round(seconds * 1e4) / 10 }, 'request');
      }
    }
  };
}

/** /healthz (alive), /readyz (each configured real adapter answers), /metrics (Prometheus). */
export function healthRoutes(app: Hono, options: { metrics: ServiceMetrics; readiness: Readiness }): void {
  const { readiness, metrics } = options;
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const report = await readiness.check();
    const status = report.stopping ? 'stopping' : !report.ready ? 'unavailable' : report.degraded ? 'degraded' : 'ready';
    return c.json({ status, checks: report.checks }, report.ready ? 200 : 503);
  });
  // readiness_dependency_up: what the last check of each probe found. The kubelet calls /readyz every
  // few seconds; when nobody has for a while (compose, a bare process), the scrape checks itself.
  if (!metrics.registry.getSingleMetric('readiness_dependency_up')) {
    new Gauge({
      name: 'readiness_dependency_up',
      help: 'Whether each dependency answered its last readiness check (1) or not (0)',
      labelNames: ['dependency'] as const,
      registers: [metrics.registry],
      async collect() {
        const stale = readiness.probeNames.some((name) => Date.now() - (readiness.last.get(name)?.at ?? 0) > READINESS_FRESH_MS);
        if (stale && !readiness.draining) await readiness.check();
        for (const name of readiness.probeNames) {
          const last = readiness.last.get(name);
          if (last) this.set({ dependency: name }, last.ok ? 1 : 0);
        }
      },
    });
  }
  app.get('/metrics', async (c) => {
    const body = await options.metrics.registry.metrics();
    return c.body(body, 200, { 'content-type': options.metrics.registry.contentType });
  });
}
