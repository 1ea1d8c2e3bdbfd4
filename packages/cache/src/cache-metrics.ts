// cache_requests_total{tier, result}: lookups per tier of the cache port, hit or miss. `memory` is the
// in-process LRU (alone, or the tiered cache's L1), `redis` the shared one (alone, or L2 after an L1
// miss). One counter per process, registered on the service's registry by @vought/runtime
// (addAdapterMetrics). Lookups that fail (Redis down) are not counted: readiness reports those.
import { Counter, type SharedMetric } from '@vought/observability';

const requests = new Counter({
  name: 'cache_requests_total',
  help: 'Cache lookups by tier (memory, redis) and result (hit, miss)',
  labelNames: ['tier', 'result'] as const,
  registers: [],
});

/**
 * The tiers: `memory` and `redis` (this port), and the origin's own in-process tables, `hot` (warm
 * public manifests answered before the framework) and `segments` (kept segment bytes).
 */
export type CacheTier = 'memory' | 'redis' | 'hot' | 'segments';

/** Counts one lookup in `tier`; returns `value` (so a lookup can be wrapped in place). */
export function counted<T>(tier: CacheTier, value: T | undefined): T | undefined {
  requests.inc({ tier, result: value === undefined ? 'miss' : 'hit' });
  return value;
}

/** Counts one lookup in `tier` that hit or missed. */
export function countLookup(tier: CacheTier, hit: boolean): void {
  requests.inc({ tier, result: hit ? 'hit' : 'miss' });
}

export const cacheMetrics: readonly SharedMetric[] = [{ name: 'cache_requests_total', metric: requests }];
