import http from 'node:http';
import { Writable } from 'node:stream';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Hono } from 'hono';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { healthRoutes, observe } from './http-observability.ts';
import { createMetrics } from './metrics.ts';
import { Readiness } from './readiness.ts';
import { activeTraceId, extractTraceContext, injectTraceContext, withSpan } from './tracing.ts';

const exporter = new InMemorySpanExporter();

beforeAll(() => {
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});
afterAll(() => {
  trace.disable();
  context.disable();
});

function captureLogger() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const logger = pino({ mixin: () => (activeTraceId() ? { trace_id: activeTraceId() } : {}) }, sink);
  return { logger, lines };
}

describe('trace context', () => {
  it('follows one request across a message hop: the consumer span shares the trace of the HTTP span', async () => {
    exporter.reset();
    const { logger } = captureLogger();
    const metrics = createMetrics('test');
    const app = new Hono();
    let carried: Record<string, string> = {};
    app.use('*', observe({ logger, metrics, logRequests: false }));
    app.post('/upload', async (c) => {
      // what a producer does when it publishes a job
      carried = injectTraceContext({});
      return c.json({ ok: true });
    });
    const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const res = await app.request('/upload', { method: 'POST', headers: { traceparent: incoming } });
    expect(res.status).toBe(200);
    expect(carried.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    // ... and what a consumer does with the message headers
    await withSpan('encode', {}, async () => undefined, { parent: extractTraceContext(carried) });
    const spans = exporter.getFinishedSpans();
    const server = spans.find((s) => s.name === 'POST /upload');
    const consumer = spans.find((s) => s.name === 'encode');
    expect(server?.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(consumer?.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(consumer?.parentSpanContext?.spanId).toBe(server?.spanContext().spanId);
  });

  it('puts the trace id on log lines written inside a span', async () => {
    const { logger, lines } = captureLogger();
    await withSpan('work', {}, async (span) => {
      logger.info('inside');
      expect(lines.at(-1)?.trace_id).toBe(span.spanContext().traceId);
    });
    logger.info('outside');
    expect(lines.at(-1)?.trace_id).toBeUndefined();
  });

  it('records a failed span and rethrows', async () => {
    exporter.reset();
    await expect(withSpan('storage.get', { key: 'k' }, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    const [span] = exporter.getFinishedSpans();
    expect(span?.status.code).toBe(2);
    expect(span?.attributes.key).toBe('k');
  });
});

describe('http observability', () => {
  it('gives every response a request id, keeps a sane incoming one, and measures by route template', async () => {
    const { logger } = captureLogger();
    const metrics = createMetrics('test');
    const app = new Hono();
    app.use('*', observe({ logger, metrics, logRequests: false }));
    app.get('/v1/videos/:id', (c) => c.text(c.get('requestId')));
    const a = await app.request('/v1/videos/abc');
    expect(a.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await a.text()).toBe(a.headers.get('x-request-id'));
    const b = await app.request('/v1/videos/def', { headers: { 'x-request-id': 'edge-123' } });
    expect(b.headers.get('x-request-id')).toBe('edge-123');
    const c = await app.request('/v1/videos/ghi', { headers: { 'x-request-id': 'bad id with spaces and $$' } });
    expect(c.headers.get('x-request-id')).not.toContain('bad');
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/http_request_duration_seconds_count\{service="test",method="GET",route="\/v1\/videos\/:id",status="200"\} 3/);
    expect(text).not.toContain('/v1/videos/abc');
  });

  it('serves /healthz, /metrics, and /readyz that fails while a dependency is down, logging it once', async () => {
    const { logger, lines } = captureLogger();
    const metrics = createMetrics('test');
    let up = true;
    const readiness = new Readiness(logger, 200).add('redis', async () => {
      if (!up) throw new Error('connection refused');
    });
    const app = new Hono();
    healthRoutes(app, { metrics, readiness });
    expect((await app.request('/healthz')).status).toBe(200);
    expect(await (await app.request('/metrics')).text()).toContain('process_cpu_user_seconds_total');
    expect((await app.request('/readyz')).status).toBe(200);
    up = false;
    const down = await app.request('/readyz');
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ status: 'unavailable', checks: { redis: { ok: false, error: 'connection refused' } } });
    await app.request('/readyz');
    await app.request('/readyz');
    expect(lines.filter((l) => l.msg === 'dependency is not answering')).toHaveLength(1);
    up = true;
    expect((await app.request('/readyz')).status).toBe(200);
    expect(lines.filter((l) => l.msg === 'dependency is back')).toHaveLength(1);
  });

  it('reports a non-critical dependency going away as degraded, still ready', async () => {
    const { logger } = captureLogger();
    const readiness = new Readiness(logger)
      .add('catalog', async () => {})
      .add(
        'cache:redis',
        async () => {
          throw new Error('connection refused');
        },
        { critical: false },
      );
    const app = new Hono();
    healthRoutes(app, { metrics: createMetrics('test'), readiness });
    const res = await app.request('/readyz');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'degraded', checks: { 'cache:redis': { ok: false, critical: false } } });
  });

  it('times out a probe that hangs', async () => {
    const { logger } = captureLogger();
    const readiness = new Readiness(logger, 50).add('nats', () => new Promise(() => {}));
    const report = await readiness.check();
    expect(report.ready).toBe(false);
    expect(report.checks.nats?.error).toContain('did not answer');
  });
});

describe('stopping and the metrics of readiness and bytes', () => {
  it('answers /readyz 503 "stopping" once drained, without asking its dependencies', async () => {
    const { logger } = captureLogger();
    let asked = 0;
    const readiness = new Readiness(logger).add('catalog', async () => {
      asked++;
    });
    const app = new Hono();
    healthRoutes(app, { metrics: createMetrics('test'), readiness });
    expect((await app.request('/readyz')).status).toBe(200);
    readiness.drain();
    const res = await app.request('/readyz');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'stopping', checks: {} });
    expect(asked).toBe(1);
  });

  it('exports readiness_dependency_up per probe, checking on scrape when nobody asked /readyz lately', async () => {
    const { logger } = captureLogger();
    let up = true;
    const readiness = new Readiness(logger)
      .add('catalog:sqlite', async () => {})
      .add('bus:nats', async () => {
        if (!up) throw new Error('down');
      });
    const metrics = createMetrics('test');
    const app = new Hono();
    healthRoutes(app, { metrics, readiness });
    healthRoutes(new Hono(), { metrics, readiness }); // twice on one registry: still one gauge
    const scrape = async () => (await app.request('/metrics')).text();
    expect(await scrape()).toContain('readiness_dependency_up{dependency="bus:nats",service="test"} 1');
    up = false;
    // a fresh result is reported as is; a /readyz call refreshes it
    expect(await scrape()).toContain('readiness_dependency_up{dependency="bus:nats",service="test"} 1');
    await app.request('/readyz');
    const text = await scrape();
    expect(text).toContain('readiness_dependency_up{dependency="bus:nats",service="test"} 0');
    expect(text).toContain('readiness_dependency_up{dependency="catalog:sqlite",service="test"} 1');
  });

  it('counts response bytes by route: from the socket under Node, from content-length otherwise', async () => {
    const { logger } = captureLogger();
    const metrics = createMetrics('test');
    const app = new Hono();
    app.use('*', observe({ logger, metrics, logRequests: false }));
    app.get('/v1/things/:id', (c) => c.body('x'.repeat(1000), 200, { 'content-length': '1000' }));
    app.get('/stream', () => new Response(new Blob(['y'.repeat(5000)]).stream()));
    await app.request('/v1/things/1');
    await app.request('/v1/things/2', { method: 'HEAD' });
    expect((await metrics.registry.getSingleMetricAsString('http_response_bytes_total')).split('\n')).toContain(
      'http_response_bytes_total{route="/v1/things/:id",service="test"} 1000',
    );
    // as @hono/node-server calls it: the Node request and response in env
    const server = http.createServer(async (req, res) => {
      const response = await app.fetch(new Request(`http://localhost${req.url}`), { incoming: req, outgoing: res });
      res.writeHead(response.status, Object.fromEntries(response.headers));
      for await (const chunk of response.body ?? []) res.write(chunk);
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as import('node:net').AddressInfo;
    expect((await (await fetch(`http://127.0.0.1:${port}/stream`)).text()).length).toBe(5000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const line = (await metrics.registry.getSingleMetricAsString('http_response_bytes_total'))
      .split('\n')
      .find((l) => l.startsWith('http_response_bytes_total{route="/stream"'));
    // body, chunk framing, status line and headers
    expect(Number(line?.split(' ')[1])).toBeGreaterThan(5000);
    expect(Number(line?.split(' ')[1])).toBeLessThan(5600);
    await new Promise((resolve) => server.close(resolve));
  });
});
