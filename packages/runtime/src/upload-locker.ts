// The upload lock port, a tus Locker: one request at a time per upload. In process (tus's own
// MemoryLocker) or over Redis, so an upload started on one origin node resumes on another.
// tus asks that a lock holder release promptly when another request wants the upload (a client
// that reconnects after a cut must not wait for the dead request's lock): a contender publishes a
// release request; whichever node holds the lock calls its holder's `requestRelease`.
// Lock: SET key token NX PX ttl, renewed while held; release by compare-and-delete (Lua), so a
// node never deletes a lock that expired and was taken by another.
import { randomUUID } from 'node:crypto';
import { MemoryLocker } from '@tus/server';
import { ERRORS, type Lock, type Locker, type RequestRelease } from '@tus/utils';
import type { Redis } from 'ioredis';
import { connectRedis } from './redis-connection.ts';

export interface UploadLocker extends Locker {
  readonly kind: 'memory' | 'redis';
  /** Answers when the backing store of the locks is reachable (start-up, readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface UploadLockerOptions {
  /** How long a request waits for a lock before tus answers ERR_LOCK_TIMEOUT. */
  acquireTimeoutMs?: number;
}

export class MemoryUploadLocker extends MemoryLocker implements UploadLocker {
  readonly kind = 'memory' as const;

  constructor(options: UploadLockerOptions = {}) {
    super(options.acquireTimeoutMs === undefined ? undefined : { acquireLockTimeout: options.acquireTimeoutMs });
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}
}

const UNLOCK = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

export interface RedisUploadLockerOptions extends UploadLockerOptions {
  url: string;
  prefix?: string;
  /** A lock left by a dead node expires after this long. */
  lockTtlMs?: number;
}

export class RedisUploadLocker implements UploadLocker {
  readonly kind = 'redis' as const;
  readonly held = new Map<string, RequestRelease>();
  readonly prefix: string;
  readonly ttl: number;
  readonly acquireTimeout: number;

  private constructor(
    readonly redis: Redis,
    private readonly subscriber: Redis,
    options: RedisUploadLockerOptions,
  ) {
    this.prefix = options.prefix ?? 'vought:tus';
    this.ttl = options.lockTtlMs ?? 30_000;
    this.acquireTimeout = options.acquireTimeoutMs ?? 20_000;
    this.subscriber.on('message', (_channel, id: string) => {
      const release = this.held.get(id);
      if (release) void release();
    });
  }

  /** Connects both clients (failing fast when Redis is not there) and listens for release requests. */
  static async connect(options: RedisUploadLockerOptions): Promise<RedisUploadLocker> {
    const common = { maxRetriesPerRequest: 2, enableOfflineQueue: true } as const;
    const redis = await connectRedis(options.url, common);
    const subscriber = await connectRedis(options.url, common).catch((error: unknown) => {
      redis.disconnect();
      throw error;
    });
    const locker = new RedisUploadLocker(redis, subscriber, options);
    await subscriber.subscribe(locker.channel);
    return locker;
  }

  get channel(): string {
    return `${this.prefix}:release`;
  }

  key(id: string): string {
    return `${this.prefix}:lock:${id}`;
  }

  newLock(id: string): Lock {
    return new RedisUploadLock(id, this);
  }

  async renew(id: string, token: string): Promise<boolean> {
    return (await this.redis.eval(RENEW, 1, this.key(id), token, String(this.ttl))) === 1;
  }

  async release(id: string, token: string): Promise<void> {
    await this.redis.eval(UNLOCK, 1, this.key(id), token);
  }

  async ping(): Promise<void> {
    await Promise.all([this.redis.ping(), this.subscriber.ping()]);
  }

  async close(): Promise<void> {
    this.subscriber.disconnect();
    this.redis.disconnect();
  }
}

class RedisUploadLock implements Lock {
  private readonly token = randomUUID();
  private renewTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly id: string,
    private readonly locker: RedisUploadLocker,
  ) {}

  async lock(signal: AbortSignal, requestRelease: RequestRelease): Promise<void> {
    const deadline = Date.now() + this.locker.acquireTimeout;
    let asked = false;
    while (!signal.aborted && Date.now() < deadline) {
      const ok = await this.locker.redis.set(this.locker.key(this.id), this.token, 'PX', this.locker.ttl, 'NX');
      if (ok === 'OK') {
        this.locker.held.set(this.id, requestRelease);
        this.renewTimer = setInterval(() => void this.locker.renew(this.id, this.token).catch(() => {}), this.locker.ttl / 3);
        this.renewTimer.unref();
        return;
      }
      if (!asked) {
        asked = true;
        await this.locker.redis.publish(this.locker.channel, this.id);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw ERRORS.ERR_LOCK_TIMEOUT;
  }

  async unlock(): Promise<void> {
    clearInterval(this.renewTimer);
    this.locker.held.delete(this.id);
    await this.locker.release(this.id, this.token);
  }
}
