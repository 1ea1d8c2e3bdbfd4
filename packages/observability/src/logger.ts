// Structured logs with pino (STYLE habit 15): one child logger per request or job, carrying its id;
// every line carries the active trace id when there is one.
import { type Logger, type LoggerOptions, pino } from 'pino';
import { activeTraceId } from './tracing.ts';

export type { Logger };

export function createLogger(options: { service: string; level?: LoggerOptions['level'] }): Logger {
  return pino({
    level: options.level ?? 'info',
    base: { service: options.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin() {
      const traceId = activeTraceId();
      return traceId ? { trace_id: traceId } : {};
    },
  });
}
