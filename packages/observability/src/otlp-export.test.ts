// Traces leave the process over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set: a local HTTP
// server stands in for the collector and receives them.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { injectTraceContext, startTracing, withSpan } from './tracing.ts';

describe('OTLP export', () => {
  it('is off without an endpoint, and posts spans to {endpoint}/v1/traces with one', async () => {
    expect((await startTracing({ endpoint: undefined, serviceName: 'test' })).enabled).toBe(false);
    const received: Array<{ path: string; type: string; bytes: number }> = [];
    const collector = http.createServer((req, res) => {
      let bytes = 0;
      req.on('data', (d: Buffer) => {
        bytes += d.length;
      });
      req.on('end', () => {
        received.push({ path: req.url ?? '', type: String(req.headers['content-type']), bytes });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    const tracing = await startTracing({ endpoint, serviceName: 'vought-test' });
    expect(tracing.enabled).toBe(true);
    let traceparent = '';
    await withSpan('storage.get', { 'storage.key': 'videos/x/index.json' }, async () => {
      traceparent = injectTraceContext({}).traceparent ?? '';
    });
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    await tracing.shutdown(); // flushes the batch
    collector.close();
    expect(received.length).toBeGreaterThan(0);
    expect(received[0]?.path).toBe('/v1/traces');
    expect(received[0]?.bytes).toBeGreaterThan(0);
  });
});
