export { healthRoutes, observe } from './http-observability.ts';
export { createLogger, type Logger } from './logger.ts';
export {
  Counter,
  createMetrics,
  Gauge,
  Histogram,
  type Metric,
  Registry,
  registerShared,
  type ServiceMetrics,
  type SharedMetric,
} from './metrics.ts';
export { type Probe, Readiness } from './readiness.ts';
export {
  activeTraceId,
  type Context,
  context,
  extractTraceContext,
  injectTraceContext,
  type Span,
  SpanKind,
  startTracing,
  trace,
  withSpan,
} from './tracing.ts';
