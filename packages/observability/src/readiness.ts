// /readyz: each configured real adapter answers a ping. A critical dependency that goes away makes
// readiness fail; a non-critical one (a shared cache, the bus: the service still answers without
// them, from memory and storage) only marks it degraded, so a load balancer does not take every node
// out for an outage that each node rides out. Changes are logged once when a dependency goes and once
// when it comes back; nothing here crashes the process.
import type { Logger } from './logger.ts';

export interface Probe {
  name: string;
  check: () => Promise<void>;
  critical: boolean;
}

export interface ReadinessReport {
  ready: boolean;
  /** A non-critical dependency is not answering. */
  degraded: boolean;
  /** The service got SIGTERM and is draining: never ready again. */
  stopping: boolean;
  checks: Record<string, { ok: boolean; critical: boolean; error?: string }>;
}

export class Readiness {
  private readonly probes: Probe[] = [];
  private readonly down = new Set<string>();
  private stopping = false;
  /** Result of each probe's last check (readiness_dependency_up). */
  readonly last = new Map<string, { ok: boolean; at: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly timeoutMs = 2000,
  ) {}

  add(name: string, check: () => Promise<void>, options: { critical?: boolean } = {}): this {
    this.probes.push({ name, check, critical: options.critical ?? true });
    return this;
  }

  /** From now on the service is not ready (it is stopping), whatever its dependencies say. */
  drain(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.logger.info('draining: /readyz answers 503 from now on');
  }

  get draining(): boolean {
    return this.stopping;
  }

  get probeNames(): string[] {
    return this.probes.map((p) => p.name);
  }

  async check(): Promise<ReadinessReport> {
    // A stopping service answers at once, without asking its dependencies.
    if (this.stopping) return { ready: false, degraded: false, stopping: true, checks: {} };
    const checks: ReadinessReport['checks'] = {};
    await Promise.all(
      this.probes.map(async (probe) => {
        try {
          await withTimeout(probe.check(), this.timeoutMs, `${probe.name} did not answer within ${this.timeoutMs} ms`);
          checks[probe.name] = { ok: true, critical: probe.critical };
          this.last.set(probe.name, { ok: true, at: Date.now() });
          if (this.down.delete(probe.name)) this.logger.info({ dependency: probe.name }, 'dependency is back');
        } catch (error) {
          const message = (error as Error).message;
          checks[probe.name] = { ok: false, critical: probe.critical, error: message };
          this.last.set(probe.name, { ok: false, at: Date.now() });
          if (!this.down.has(probe.name)) {
            this.down.add(probe.name);
            this.logger.error({ dependency: probe.name, err: message }, 'dependency is not answering');
          }
        }
      }),
    );
    const all = Object.values(checks);
    return { ready: all.every((c) => c.ok || !c.critical), degraded: all.some((c) => !c.ok && !c.critical), stopping: false, checks };
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
