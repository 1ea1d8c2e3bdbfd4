// Hono middleware shared by origin, encoder and edge: request id, scoped logger, server span with
// the incoming trace context, and the request-duration histogram by route template.
import { randomUUID } from 'node:crypto';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Hono, MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { Logger } from './logger.ts';
import type { ServiceMetrics } from './metrics.ts';
import type { Readiness } from './readiness.ts';

declare module 'hono' {
  interface ContextVariableMap {
    requestId: string;
    log: Logger;
  }
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function observe(options: { logger: Logger; metrics: ServiceMetrics; logRequests?: boolean }): MiddlewareHandler {
  const tracer = trace.getTracer('vought');
  return async (c, next) => {
    const started = performance.now();
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
      if (options.logRequests ?? true) {
        log.info({ method: c.req.method, path: c.req.path, route, status, ms: Math.round(seconds * 1e4) / 10 }, 'request');
      }
    }
  };
}

/** /healthz (alive), /readyz (each configured real adapter answers), /metrics (Prometheus). */
export function healthRoutes(app: Hono, options: { metrics: ServiceMetrics; readiness: Readiness }): void {
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const report = await options.readiness.check();
    const status = !report.ready ? 'unavailable' : report.degraded ? 'degraded' : 'ready';
    return c.json({ status, checks: report.checks }, report.ready ? 200 : 503);
  });
  app.get('/metrics', async (c) => {
    const body = await options.metrics.registry.metrics();
    return c.body(body, 200, { 'content-type': options.metrics.registry.contentType });
  });
}
