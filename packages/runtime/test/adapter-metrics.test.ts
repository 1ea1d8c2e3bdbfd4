// The adapters' metrics, registered on a service registry by addAdapterMetrics: storage reads by
// store and op, cache lookups by tier and result, the bus queue depth and its dead letters.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemoryBus, PermanentJobError } from '@vought/bus';
import { MemoryCache } from '@vought/cache';
import { createMetrics } from '@vought/observability';
import { FsStore } from '@vought/storage';
import { describe, expect, it } from 'vitest';
import { addAdapterMetrics } from '../src/index.ts';

const value = async (registry: import('@vought/observability').Registry, name: string, labels: Record<string, string>) => {
  const metric = registry.getSingleMetric(name);
  const values = (await metric?.get())?.values ?? [];
  const match = values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return match?.value ?? 0;
};

/** The value of the exposition line of `metric` with these labels (in any order), or undefined. */
function sample(text: string, metric: string, labels: Record<string, string>): number | undefined {
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${metric}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

describe('addAdapterMetrics', () => {
  it('exports storage_read_seconds, cache_requests_total, bus_queue_pending and bus_dead_letters_total on the service registry', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vought-adapter-metrics-'));
    const store = new FsStore({ root: dir });
    const cache = new MemoryCache({ maxBytes: 1 << 20 });
    const bus = new MemoryBus();
    const metrics = createMetrics('test');
    addAdapterMetrics(metrics.registry, { store, cache, bus });
    addAdapterMetrics(createMetrics('other').registry, { store, cache, bus }); // a second service: its own registry

    await store.put('a/b', Buffer.alloc(1000));
    await store.head('a/b');
    await store.read('a/b', 10, 100);
    await (await store.get('a/b', { start: 0, end: 9 })).body.toArray();
    await store.readAll('a/b');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const text = await metrics.registry.metrics();
    expect(sample(text, 'storage_read_seconds_count', { service: 'test', store: 'fs', op: 'head' })).toBe(1);
    expect(sample(text, 'storage_read_seconds_count', { service: 'test', store: 'fs', op: 'range' })).toBe(2);
    expect(sample(text, 'storage_read_seconds_count', { service: 'test', store: 'fs', op: 'get' })).toBe(1);

    await cache.get('missing');
    await cache.getOrLoad('k', async () => ({ value: Buffer.from('v') }));
    await cache.getOrLoad('k', async () => ({ value: Buffer.from('v') }));
    expect(await value(metrics.registry, 'cache_requests_total', { tier: 'memory', result: 'miss' })).toBe(2);
    expect(await value(metrics.registry, 'cache_requests_total', { tier: 'memory', result: 'hit' })).toBe(1);

    const consumer = await bus.consume(
      'encode',
      async (job) => {
        if (job.data === 'bad') throw new PermanentJobError('bad input');
        await new Promise((resolve) => setTimeout(resolve, 200));
      },
      { concurrency: 1 },
    );
    await bus.enqueue('encode', 'bad');
    await bus.enqueue('encode', 'one');
    await bus.enqueue('encode', 'two');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sample(await metrics.registry.metrics(), 'bus_queue_pending', { service: 'test', queue: 'encode' })).toBe(2);
    expect(await value(metrics.registry, 'bus_dead_letters_total', { queue: 'encode' })).toBe(1);
    await consumer.stop({ graceMs: 1000 });
    // a stopped consumer no longer reports its queue
    expect(await metrics.registry.metrics()).not.toMatch(/bus_queue_pending\{/);
    await bus.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
