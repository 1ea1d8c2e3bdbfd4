// The Redis twins of the rate limiter and the upload locker against the real Redis on 127.0.0.1:6379.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@vought/config';
import { skipUnlessServer } from '@vought/observability/test/required-services';
import { describe, expect, it } from 'vitest';
import { openAdapters } from '../src/index.ts';
import { rateLimiterContract, uploadLockerContract } from '../src/ports.contract.ts';
import { RedisRateLimiter } from '../src/rate-limiter.ts';
import { RedisUploadLocker } from '../src/upload-locker.ts';

const URL = 'redis://127.0.0.1:6379';
const skip = await skipUnlessServer(6379, 'Redis', 'Redis port tests');
const prefix = () => `vought-test-${randomBytes(4).toString('hex')}`;

rateLimiterContract('redis', () => RedisRateLimiter.connect({ url: URL, prefix: prefix() }), { skip });
uploadLockerContract('redis', (options) => RedisUploadLocker.connect({ url: URL, prefix: prefix(), ...options }), { skip });

describe.skipIf(Boolean(skip))('Redis ports across nodes', () => {
  it('share one count and one lock between two nodes', async () => {
    const p = prefix();
    const [a, b] = [await RedisRateLimiter.connect({ url: URL, prefix: p }), await RedisRateLimiter.connect({ url: URL, prefix: p })];
    await a.hit('ip:1', 60);
    expect(await b.hit('ip:1', 60)).toBe(2);
    await Promise.all([a.close(), b.close()]);

    const [one, two] = [await RedisUploadLocker.connect({ url: URL, prefix: p }), await RedisUploadLocker.connect({ url: URL, prefix: p })];
    const held = one.newLock('u1');
    await held.lock(new AbortController().signal, () => void held.unlock());
    const taken = two.newLock('u1');
    await taken.lock(new AbortController().signal, () => {}); // node one released on node two's request
    await taken.unlock();
    await Promise.all([one.close(), two.close()]);
  });
});

describe('start-up', () => {
  it('refuses a Redis URL nothing answers, naming VOUGHT_REDIS_URL in one line', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    await expect(RedisRateLimiter.connect({ url: `redis://127.0.0.1:${closed}` })).rejects.toThrow();
    await expect(RedisUploadLocker.connect({ url: `redis://127.0.0.1:${closed}` })).rejects.toThrow();
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vought-runtime-'));
    const config = loadConfig({ VOUGHT_DATA_DIR: dataDir, VOUGHT_REDIS_URL: `redis://127.0.0.1:${closed}`, VOUGHT_LOG_LEVEL: 'silent' });
    await expect(openAdapters(config, { service: 'runtime-test' })).rejects.toThrow(/^VOUGHT_REDIS_URL: cannot start the /);
    await fs.rm(dataDir, { recursive: true, force: true });
  });
});
