// One contract for each port runtime opens beside the packages' (STYLE habit 7): the memory and the
// Redis twin of the rate limiter and of the upload locker run the same suite.
import { randomBytes } from 'node:crypto';
import { ERRORS } from '@tus/utils';
import { afterAll, describe, expect, it } from 'vitest';
import type { RateLimiter } from './rate-limiter.ts';
import type { UploadLocker, UploadLockerOptions } from './upload-locker.ts';

type Skip = { skip?: string | false };
const unique = () => randomBytes(6).toString('hex');

export function rateLimiterContract(name: string, make: () => Promise<RateLimiter>, options: Skip = {}): void {
  describe.skipIf(Boolean(options.skip))(`RateLimiter contract: ${name}`, () => {
    const opened: RateLimiter[] = [];
    const open = async () => {
      const limiter = await make();
      opened.push(limiter);
      return limiter;
    };
    afterAll(async () => {
      for (const limiter of opened) await limiter.close();
    });

    it('answers ping', async () => {
      await expect((await open()).ping()).resolves.toBeUndefined();
    });

    it('counts each key apart within a window', async () => {
      const limiter = await open();
      const [a, b] = [`a-${unique()}`, `b-${unique()}`];
      expect([await limiter.hit(a, 60), await limiter.hit(a, 60), await limiter.hit(a, 60)]).toEqual([1, 2, 3]);
      expect(await limiter.hit(b, 60)).toBe(1);
    });

    it('starts again at 1 in the next window', async () => {
      const limiter = await open();
      const key = `w-${unique()}`;
      // windows are whole seconds: start just after a boundary, so the first two hits share one
      // (hitting at a random instant failed in CI when the second hit crossed into the next window)
      const toNextWindow = () =>
        new Promise((resolve) => setTimeout(resolve, (Math.floor(Date.now() / 1000) + 1) * 1000 - Date.now() + 20));
      await toNextWindow();
      await limiter.hit(key, 1);
      expect(await limiter.hit(key, 1)).toBeGreaterThanOrEqual(2);
      await toNextWindow();
      expect(await limiter.hit(key, 1)).toBe(1);
    });
  });
}

export function uploadLockerContract(
  name: string,
  make: (options: UploadLockerOptions) => Promise<UploadLocker>,
  options: Skip = {},
): void {
  describe.skipIf(Boolean(options.skip))(`UploadLocker contract: ${name}`, () => {
    const opened: UploadLocker[] = [];
    const open = async (lockerOptions: UploadLockerOptions = {}) => {
      const locker = await make(lockerOptions);
      opened.push(locker);
      return locker;
    };
    afterAll(async () => {
      for (const locker of opened) await locker.close();
    });
    const never = new AbortController().signal;

    it('answers ping', async () => {
      await expect((await open()).ping()).resolves.toBeUndefined();
    });

    it('locks, unlocks and locks again; other uploads are not blocked', async () => {
      const locker = await open();
      const id = unique();
      const first = locker.newLock(id);
      await first.lock(never, () => {});
      const other = locker.newLock(unique());
      await other.lock(never, () => {});
      await first.unlock();
      const again = locker.newLock(id);
      await again.lock(never, () => {});
      await again.unlock();
      await other.unlock();
    });

    it('asks the holder to release, and hands the lock over once it does', async () => {
      const locker = await open();
      const id = unique();
      const holder = locker.newLock(id);
      let asked = 0;
      await holder.lock(never, () => {
        asked++;
        void holder.unlock();
      });
      const contender = locker.newLock(id);
      await contender.lock(never, () => {});
      expect(asked).toBeGreaterThanOrEqual(1);
      await contender.unlock();
    });

    it('gives up with ERR_LOCK_TIMEOUT when the holder keeps the lock, or the request is aborted', async () => {
      const locker = await open({ acquireTimeoutMs: 300 });
      const id = unique();
      const holder = locker.newLock(id);
      await holder.lock(never, () => {});
      const started = Date.now();
      await expect(locker.newLock(id).lock(never, () => {})).rejects.toBe(ERRORS.ERR_LOCK_TIMEOUT);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      const abort = new AbortController();
      setTimeout(() => abort.abort(), 50);
      await expect(locker.newLock(id).lock(abort.signal, () => {})).rejects.toBe(ERRORS.ERR_LOCK_TIMEOUT);
      await holder.unlock();
    });
  });
}
