// /readyz: each configured real adapter answers a ping. A dependency that goes away makes readiness
// fail and is logged once when it goes and once when it comes back; it never crashes the process.
import type { Logger } from './logger.ts';

export interface Probe {
  name: string;
  check: () => Promise<void>;
}

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, { ok: boolean; error?: string }>;
}

export class Readiness {
  private readonly probes: Probe[] = [];
  private readonly down = new Set<string>();

  constructor(
    private readonly logger: Logger,
    private readonly timeoutMs = 2000,
  ) {}

  add(name: string, check: () => Promise<void>): this {
    this.probes.push({ name, check });
    return this;
  }

  async check(): Promise<ReadinessReport> {
    const checks: ReadinessReport['checks'] = {};
    await Promise.all(
      this.probes.map(async (probe) => {
        try {
          await withTimeout(probe.check(), this.timeoutMs, `${probe.name} did not answer within ${this.timeoutMs} ms`);
          checks[probe.name] = { ok: true };
          if (this.down.delete(probe.name)) this.logger.info({ dependency: probe.name }, 'dependency is back');
        } catch (error) {
          const message = (error as Error).message;
          checks[probe.name] = { ok: false, error: message };
          if (!this.down.has(probe.name)) {
            this.down.add(probe.name);
            this.logger.error({ dependency: probe.name, err: message }, 'dependency is not answering');
          }
        }
      }),
    );
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
}
