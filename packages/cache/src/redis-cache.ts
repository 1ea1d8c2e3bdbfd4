// Redis through ioredis: the cache origins share (media indexes, rendered manifests). Values are
// binary-safe (read with getBuffer: plain get decodes UTF-8 and mangles bytes). Tags are Redis sets
// of keys, written in the same Lua script as the value so they cannot miss it. While Redis is away,
// commands fail fast with cache.unavailable (no offline queue building up behind a dead server) and
// the client keeps reconnecting; callers degrade to their loader.
import { withSpan } from '@vought/observability';
import { Redis } from 'ioredis';
import { CacheError } from './cache-error.ts';
import { counted } from './cache-metrics.ts';
import type { Cache, Loaded, SetOptions } from './cache-types.ts';
import { SingleFlight } from './single-flight.ts';

export interface RedisCacheOptions {
  url: string;
  /** Namespace for every key this cache writes. */
  prefix?: string;
  /** Per-command timeout in ms. */
  commandTimeoutMs?: number;
}

// KEYS[1] = value key; ARGV = value, ttl ms (0: none), tag key prefix, then tag keys. The key first
// leaves the tag sets of the value it replaces (read from that value's envelope). Each tag set lives
// at least as long as its longest-lived entry: no expiry while any entry has none.
const SET_SCRIPT = `
local old = redis.call('GET', KEYS[1])
if old and string.byte(old, 1) == 1 then
  local len = string.byte(old, 2) * 256 + string.byte(old, 3)
  if len > 0 then
    for _, tag in ipairs(cjson.decode(string.sub(old, 4, 3 + len))) do
      redis.call('SREM', ARGV[3] .. tag, KEYS[1])
    end
  end
end
local ttl = tonumber(ARGV[2])
if ttl > 0 then redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl) else redis.call('SET', KEYS[1], ARGV[1]) end
for i = 4, #ARGV do
  local tag = ARGV[i]
  local fresh = redis.call('SADD', tag, KEYS[1])
  local current = redis.call('PTTL', tag)
  if ttl == 0 then redis.call('PERSIST', tag)
  elseif current ~= -1 and current < ttl then redis.call('PEXPIRE', tag, ttl) end
end
return 1`;

// KEYS[1] = tag set. Deletes its members and itself atomically (members are named in ARGV-free
// form, so this script assumes one Redis node, not a cluster: vought's cache is one shard).
const DELETE_TAG_SCRIPT = `
local keys = redis.call('SMEMBERS', KEYS[1])
for i = 1, #keys, 500 do
  redis.call('UNLINK', unpack(keys, i, math.min(i + 499, #keys)))
end
redis.call('UNLINK', KEYS[1])
return #keys`;

// Stored values carry their tags, so a node that reads an entry from Redis into its in-process L1
// can tag it there too, and an invalidation drops the L1 copy as well. Envelope: u8 version (1),
// u16 length of the tags' JSON, the JSON, then the value.
function wrap(value: Buffer, tags: string[]): Buffer {
  const json = tags.length ? Buffer.from(JSON.stringify(tags)) : Buffer.alloc(0);
  const head = Buffer.allocUnsafe(3);
  head.writeUInt8(1, 0);
  head.writeUInt16BE(json.length, 1);
  return Buffer.concat([head, json, value]);
}

function unwrap(stored: Buffer): { value: Buffer; tags: string[] } {
  if (stored.length < 3 || stored[0] !== 1) return { value: stored, tags: [] };
  const length = stored.readUInt16BE(1);
  const tags = length ? (JSON.parse(stored.subarray(3, 3 + length).toString()) as string[]) : [];
  return { value: stored.subarray(3 + length), tags };
}

export class RedisCache implements Cache {
  readonly kind = 'redis' as const;
  readonly redis: Redis;
  private readonly prefix: string;
  private readonly flights = new SingleFlight<Buffer>();

  private constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.prefix = prefix;
  }

  /** Connects (failing fast if Redis is not there) and returns the cache. */
  static async connect(options: RedisCacheOptions): Promise<RedisCache> {
    const redis = new Redis(options.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: options.commandTimeoutMs ?? 2000,
      connectTimeout: 2000,
      // Reconnect forever, backing off to 2 s: Redis coming back must heal the node by itself.
      retryStrategy: (times) => Math.min(times * 100, 2000),
    });
    // ioredis emits 'error' on every failed reconnect; unhandled, that would crash the process.
    redis.on('error', () => {});
    try {
      await redis.connect();
    } catch (error) {
      redis.disconnect();
      throw new CacheError('cache.unavailable', `cannot connect to Redis: ${(error as Error).message}`, {}, { cause: error });
    }
    redis.defineCommand('voughtSet', { numberOfKeys: 1, lua: SET_SCRIPT });
    redis.defineCommand('voughtDeleteTag', { numberOfKeys: 1, lua: DELETE_TAG_SCRIPT });
    return new RedisCache(redis, options.prefix ?? 'vought');
  }

  private valueKey(key: string): string {
    return `${this.prefix}:v:${key}`;
  }

  private tagKey(tag: string): string {
    return `${this.prefix}:t:${tag}`;
  }

  private async run<T>(op: string, key: string, fn: () => Promise<T>): Promise<T> {
    return withSpan(`cache.${op}`, { 'cache.kind': 'redis', 'cache.key': key }, async () => {
      try {
        return await fn();
      } catch (error) {
        throw new CacheError('cache.unavailable', `Redis ${op} failed: ${(error as Error).message}`, { key }, { cause: error });
      }
    });
  }

  async get(key: string): Promise<Buffer | undefined> {
    return this.run('get', key, async () => {
      const stored = await this.redis.getBuffer(this.valueKey(key));
      return counted('redis', stored ? unwrap(stored).value : undefined);
    });
  }

  /** Value, tags and remaining TTL in ms (-1: none) in one round trip: the tiered cache fills its L1 with them. */
  async getEntry(key: string): Promise<{ value: Buffer; tags: string[]; ttlMs: number } | undefined> {
    return this.run('get', key, async () => {
      const results = await this.redis.multi().getBuffer(this.valueKey(key)).pttl(this.valueKey(key)).exec();
      const stored = results?.[0]?.[1] as Buffer | null | undefined;
      return counted('redis', stored ? { ...unwrap(stored), ttlMs: Number(results?.[1]?.[1] ?? -1) } : undefined);
    });
  }

  async set(key: string, value: Buffer, options: SetOptions = {}): Promise<void> {
    const ttlMs = options.ttlSeconds ? Math.max(1, Math.round(options.ttlSeconds * 1000)) : 0;
    const tags = [...new Set(options.tags ?? [])];
    await this.run('set', key, () =>
      (this.redis as unknown as { voughtSet: (...args: unknown[]) => Promise<unknown> }).voughtSet(
        this.valueKey(key),
        wrap(value, tags),
        ttlMs,
        this.tagKey(''),
        ...tags.map((tag) => this.tagKey(tag)),
      ),
    );
  }

  async delete(key: string): Promise<void> {
    await this.run('delete', key, () => this.redis.unlink(this.valueKey(key)));
  }

  async deleteTag(tag: string): Promise<number> {
    return this.run('delete_tag', tag, async () =>
      Number(await (this.redis as unknown as { voughtDeleteTag: (key: string) => Promise<number> }).voughtDeleteTag(this.tagKey(tag))),
    );
  }

  async getOrLoad(key: string, loader: () => Promise<Loaded>): Promise<Buffer> {
    const hit = await this.get(key);
    if (hit) return hit;
    return this.flights.do(key, async () => {
      const loaded = await loader();
      await this.set(key, loaded.value, loaded);
      return loaded.value;
    });
  }

  async ping(): Promise<void> {
    await this.run('ping', '', () => this.redis.ping());
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
