// OpenTelemetry traces. Off and free unless OTEL_EXPORTER_OTLP_ENDPOINT is set: without a registered
// provider, @opentelemetry/api hands out no-op spans. Trace context crosses process boundaries as
// W3C `traceparent`/`tracestate` headers, in HTTP and in bus messages alike.
import { type Attributes, type Context, context, propagation, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

export { type Context, context, type Span, SpanKind, trace };

let started = false;
// The W3C propagator is installed even with tracing off, so an incoming traceparent is passed on
// unchanged (a collector upstream of vought still sees one trace).
propagation.setGlobalPropagator(new W3CTraceContextPropagator());

export interface TracingOptions {
  endpoint: string | undefined;
  serviceName: string;
}

/** Starts exporting spans over OTLP/HTTP when an endpoint is configured. Idempotent. */
export async function startTracing(options: TracingOptions): Promise<{ enabled: boolean; shutdown: () => Promise<void> }> {
  if (!options.endpoint || started) return { enabled: started, shutdown: async () => {} };
  started = true;
  const [{ NodeTracerProvider }, { BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
  ]);
  const exporter = new OTLPTraceExporter({ url: `${options.endpoint.replace(/\/$/, '')}/v1/traces` });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  provider.register();
  return { enabled: true, shutdown: () => provider.shutdown() };
}

const tracer = () => trace.getTracer('vought');

/**
 * Runs `fn` inside a span named `name`; records an exception and error status when it throws.
 * Used around storage, cache, bus and database calls.
 */
export async function withSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
  options: { kind?: SpanKind; parent?: Context } = {},
): Promise<T> {
  const parent = options.parent ?? context.active();
  return tracer().startActiveSpan(name, { attributes, kind: options.kind ?? SpanKind.INTERNAL }, parent, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Writes the active trace context into a header carrier (HTTP request or bus message). */
export function injectTraceContext(headers: Record<string, string> = {}, ctx: Context = context.active()): Record<string, string> {
  propagation.inject(ctx, headers);
  return headers;
}

/** Reads a trace context from a header carrier; use as `parent` of the consumer's span. */
export function extractTraceContext(headers: Record<string, string | undefined>): Context {
  return propagation.extract(context.active(), headers);
}

/** The active trace id, for log lines; undefined when there is no sampled span. */
export function activeTraceId(): string | undefined {
  const span = trace.getActiveSpan();
  const id = span?.spanContext().traceId;
  return id && id !== '00000000000000000000000000000000' ? id : undefined;
}
