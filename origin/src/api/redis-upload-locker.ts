// A tus Locker over Redis, so an upload started on one origin node resumes on another (issue 6).
// tus asks that a lock holder release promptly when another request wants the upload (a client
// that reconnects after a cut must not wait for the dead request's lock): a contender publishes a
// release request; whichever node holds the lock calls its holder's `requestRelease`.
// Lock: SET key token NX PX ttl, renewed while held; release by compare-and-delete (Lua), so a
// node never deletes a lock that expired and was taken by another.
import { randomUUID } from 'node:crypto';
import { ERRORS, type Lock, type Locker, type RequestRelease } from '@tus/utils';
import { Redis } from 'ioredis';

const UNLOCK = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

export interface RedisUploadLockerOptions {
  url: string;
  prefix?: string;
  /** A lock left by a dead node expires after this long. */
  lockTtlMs?: number;
  /** How long a request waits for a lock before tus answers 423-ish ERR_LOCK_TIMEOUT. */
  acquireTimeoutMs?: number;
}

export class RedisUploadLocker implements Locker {
  readonly redis: Redis;
  private readonly subscriber: Redis;
  readonly held = new Map<string, RequestRelease>();
  readonly prefix: string;
  readonly ttl: number;
  readonly acquireTimeout: number;

  constructor(options: RedisUploadLockerOptions) {
    this.prefix = options.prefix ?? 'vought:tus';
    this.ttl = options.lockTtlMs ?? 30_000;
    this.acquireTimeout = options.acquireTimeoutMs ?? 20_000;
    const common = { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false } as const;
    this.redis = new Redis(options.url, common);
    this.subscriber = new Redis(options.url, common);
    // Errors surface through the commands that fail; an 'error' event must never crash the process.
    this.redis.on('error', () => {});
    this.subscriber.on('error', () => {});
    void this.subscriber.subscribe(this.channel);
    this.subscriber.on('message', (_channel, id: string) => {
      const release = this.held.get(id);
      if (release) void release();
    });
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
