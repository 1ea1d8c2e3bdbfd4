export { createLogger, type Logger } from './logger.ts';
export { createMetrics, type ServiceMetrics, Counter, Gauge, Histogram, Registry } from './metrics.ts';
export {
  startTracing,
  withSpan,
  injectTraceContext,
  extractTraceContext,
  activeTraceId,
  SpanKind,
  context,
  trace,
  type Span,
  type Context,
} from './tracing.ts';
export { Readiness, type Probe } from './readiness.ts';
export { observe, healthRoutes } from './http-observability.ts';
