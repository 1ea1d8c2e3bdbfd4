import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseBytes } from './index.ts';

describe('loadConfig', () => {
  it('gives the embedded defaults with an empty environment', () => {
    const config = loadConfig({});
    expect(config.ports).toEqual({ origin: 8080, edge: 8081, encoder: 8082 });
    expect(config.storage.kind).toBe('fs');
    expect(config.dataDir).toBe(path.resolve('./data'));
    expect(config.storage.root).toBe(path.join(path.resolve('./data'), 'objects'));
    expect(config.cache.redisUrl).toBeUndefined();
    expect(config.bus.natsUrl).toBeUndefined();
    expect(config.catalog.databaseUrl).toBeUndefined();
    expect(config.edge.upstreams).toEqual(['http://127.0.0.1:8080']);
    expect(config.cache.memoryBytes).toBe(256 * 1024 * 1024);
  });

  it('reads the real adapters from their variables', () => {
    const config = loadConfig({
      VOUGHT_STORAGE: 's3',
      VOUGHT_S3_BUCKET: 'media',
      VOUGHT_S3_ENDPOINT: 'http://127.0.0.1:9000',
      VOUGHT_REDIS_URL: 'redis://127.0.0.1:6379',
      VOUGHT_NATS_URL: 'nats://127.0.0.1:4222',
      VOUGHT_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
      VOUGHT_EDGE_UPSTREAM: 'http://a:8080, http://b:8080',
      PORT: '9000',
    });
    expect(config.storage).toMatchObject({ kind: 's3', s3: { bucket: 'media', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true } });
    expect(config.edge.upstreams).toEqual(['http://a:8080', 'http://b:8080']);
    expect(config.ports.origin).toBe(9000);
  });

  it.each([
    [{ VOUGHT_STORAGE: 'ftp' }, 'VOUGHT_STORAGE'],
    [{ VOUGHT_REDIS_URL: 'localhost:6379' }, 'VOUGHT_REDIS_URL'],
    [{ VOUGHT_NATS_URL: 'http://x' }, 'VOUGHT_NATS_URL'],
    [{ VOUGHT_DATABASE_URL: 'mysql://x/y' }, 'VOUGHT_DATABASE_URL'],
    [{ PORT: '70000' }, 'PORT'],
    [{ PORT: 'eighty' }, 'PORT'],
    [{ VOUGHT_CACHE_BYTES: 'lots' }, 'VOUGHT_CACHE_BYTES'],
    [{ VOUGHT_STORAGE: 's3' }, 'VOUGHT_S3_BUCKET'],
    [{ VOUGHT_S3_ACCESS_KEY: 'k' }, 'VOUGHT_S3_SECRET_KEY'],
    [{ VOUGHT_EDGE_UPSTREAM: 'origin:8080' }, 'VOUGHT_EDGE_UPSTREAM'],
    [{ VOUGHT_LOG_LEVEL: 'loud' }, 'VOUGHT_LOG_LEVEL'],
    [{ VOUGHT_KEY_SECRET: 'c0ffee' }, 'VOUGHT_KEY_SECRET'],
    [{ VOUGHT_KEY_ROTATION: '-1' }, 'VOUGHT_KEY_ROTATION'],
    [{ VOUGHT_KEY_CPIX_URL: 'https://kms.example/cpix' }, 'VOUGHT_KEY_CPIX_URL'],
  ])('refuses %o naming %s in one line', (env, variable) => {
    let caught: unknown;
    try {
      loadConfig(env);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).variable).toBe(variable);
    expect((caught as ConfigError).message.startsWith(`${variable}: `)).toBe(true);
    expect((caught as ConfigError).message).not.toContain('\n');
  });

  it('reads the content-key settings, and never echoes a secret it refuses', () => {
    const config = loadConfig({ VOUGHT_KEY_SECRET: '00112233445566778899aabbccddeeff', VOUGHT_KEY_ROTATION: '30' });
    expect(Buffer.from(config.contentKeys.secret ?? []).toString('hex')).toBe('00112233445566778899aabbccddeeff');
    expect(config.contentKeys.rotationSegments).toBe(30);
    expect(loadConfig({}).contentKeys).toEqual({
      secret: undefined,
      rotationSegments: 0,
      cpixUrl: undefined,
      cpixToken: undefined,
      clearKey: true,
    });
    expect(loadConfig({ VOUGHT_KEY_CLEARKEY: 'false' }).contentKeys.clearKey).toBe(false);
    expect(() => loadConfig({ VOUGHT_KEY_SECRET: 'my-very-secret-words' })).toThrow(/20 characters, not shown/);
    expect(() => loadConfig({ VOUGHT_KEY_SECRET: 'my-very-secret-words' })).not.toThrow(/very-secret/);
  });

  it('parses sizes in binary units', () => {
    expect(parseBytes('512mb')).toBe(512 * 1024 ** 2);
    expect(parseBytes('2g')).toBe(2 * 1024 ** 3);
    expect(parseBytes('100')).toBe(100);
    expect(parseBytes('1.5kb')).toBe(1536);
  });
});
