// prom-client: one registry per service with Node's default metrics and an HTTP request-duration
// histogram labelled by route template (never by raw path: ids would explode the cardinality).
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export type { Metric } from 'prom-client';
export { Counter, Gauge, Histogram, Registry };

/**
 * Metrics of an adapter (storage, cache, bus): one set per process, observed by every instance of the
 * adapter, and registered on each service registry that asks for them (@vought/runtime
 * addAdapterMetrics), so they carry that service's labels. Created with `registers: []`.
 */
export interface SharedMetric {
  name: string;
  metric: import('prom-client').Metric;
}

/** Registers shared metrics on a service registry (once per name). */
export function registerShared(registry: Registry, metrics: readonly SharedMetric[]): void {
  for (const { name, metric } of metrics) if (!registry.getSingleMetric(name)) registry.registerMetric(metric);
}

export interface ServiceMetrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  /** Bytes written for responses, by route template (observe(); a handler answering before the framework counts its own). */
  responseBytes: Counter<'route'>;
}

export function createMetrics(service: string): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route template',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const responseBytes = new Counter({
    name: 'http_response_bytes_total',
    help: 'Bytes written to clients for responses (status line, headers and body) by route template',
    labelNames: ['route'] as const,
    registers: [registry],
  });
  return { registry, httpDuration, responseBytes };
}
