// One contract for every ObjectStore adapter (STYLE habit 7): the fs store and the S3 store run
// the same suite, so the embedded default can never drift from the real one.
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageError } from './storage-error.ts';
import type { ObjectStore } from './storage-types.ts';

async function text(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(StorageError);
    return (error as StorageError).code;
  }
}

export const hostileKeys = [
  '',
  '/etc/passwd',
  '../x',
  'a/../../b',
  'a/./b',
  'a//b',
  'a/b/',
  'a\\..\\b',
  'a/\u0000b',
  'a/b\nc',
  '..',
  '.',
  'x'.repeat(1100),
  'videos/%2e%2e/../x',
  'videos/ab c',
];

export function storeContract(
  name: string,
  open: () => Promise<{ store: ObjectStore; cleanup: () => Promise<void> }>,
  options: { skip?: string | false } = {},
) {
  describe.skipIf(Boolean(options.skip))(`ObjectStore contract: ${name}`, () => {
    let store: ObjectStore;
    let cleanup: () => Promise<void>;
    const ns = `t${randomBytes(4).toString('hex')}`;
    const k = (key: string) => `${ns}/${key}`;

    beforeAll(async () => {
      ({ store, cleanup } = await open());
    }, 30_000);
    afterAll(async () => {
      await store?.deletePrefix(`${ns}/`).catch(() => {});
      await cleanup?.();
    });

    it('round-trips a Buffer, a string, a stream and an async iterable', async () => {
      const bytes = randomBytes(1000);
      const a = await store.put(k('a.bin'), bytes);
      expect(a.size).toBe(1000);
      expect(await store.readAll(k('a.bin'))).toEqual(bytes);
      await store.put(k('b.txt'), 'héllo');
      expect((await store.readAll(k('b.txt'))).toString()).toBe('héllo');
      await store.put(k('c.bin'), Readable.from([bytes.subarray(0, 10), bytes.subarray(10)]));
      expect(await store.readAll(k('c.bin'))).toEqual(bytes);
      async function* gen() {
        yield new Uint8Array([1, 2]);
        yield new Uint8Array([3]);
      }
      await store.put(k('d.bin'), gen());
      expect([...(await store.readAll(k('d.bin')))]).toEqual([1, 2, 3]);
    });

    it('fails a put whose stream errors before it is read, storing nothing and leaving the process up', async () => {
      // like a ReadStream of a missing file: it fails on the next tick, before put() reads it
      const failing = new Readable({ read() {} });
      process.nextTick(() => failing.destroy(new Error('ENOENT: no such file')));
      await expect(store.put('failing/stream', failing)).rejects.toThrow();
      expect(await store.head('failing/stream')).toBeNull();
    });

    it('streams a 20 MiB object up and down with equal hashes (multipart on S3)', async () => {
      const chunk = randomBytes(1024 * 1024);
      const hash = createHash('sha256');
      async function* big() {
        for (let i = 0; i < 20; i++) {
          const part = Buffer.from(chunk);
          part.writeUInt32BE(i, 0);
          hash.update(part);
          yield part;
        }
      }
      const info = await store.put(k('big.mp4'), big());
      expect(info.size).toBe(20 * 1024 * 1024);
      const down = createHash('sha256');
      for await (const part of (await store.get(k('big.mp4'))).body) down.update(part as Buffer);
      expect(down.digest('hex')).toBe(hash.digest('hex'));
    }, 60_000);

    it('serves byte ranges like HTTP: inclusive, end clamped, start beyond the end refused', async () => {
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      await store.put(k('r.bin'), bytes);
      const first = await store.get(k('r.bin'), { start: 0, end: 0 });
      expect([...(await text(first.body))]).toEqual([0]);
      expect(first.size).toBe(256);
      expect(first.range).toEqual({ start: 0, end: 0 });
      expect([...(await text((await store.get(k('r.bin'), { start: 255, end: 255 })).body))]).toEqual([255]);
      expect(await text((await store.get(k('r.bin'), { start: 10, end: 19 })).body)).toEqual(bytes.subarray(10, 20));
      const clamped = await store.get(k('r.bin'), { start: 250, end: 999 });
      expect(await text(clamped.body)).toEqual(bytes.subarray(250));
      expect(clamped.range).toEqual({ start: 250, end: 255 });
      expect(await codeOf(store.get(k('r.bin'), { start: 256, end: 300 }))).toBe('storage.range_not_satisfiable');
      expect(await store.read(k('r.bin'), 100, 4)).toEqual(bytes.subarray(100, 104));
      // into a caller's buffer (the origin's pooled buffers)
      const into = Buffer.alloc(64, 0xee);
      const read = await store.read(k('r.bin'), 100, 4, into);
      expect(read).toEqual(bytes.subarray(100, 104));
      expect(read.buffer).toBe(into.buffer);
      expect(await store.read(k('r.bin'), 250, 100)).toEqual(bytes.subarray(250));
      expect((await store.read(k('r.bin'), 300, 4)).length).toBe(0);
    });

    it('reports missing objects: head → null, get/read/readAll → not_found, delete is quiet', async () => {
      expect(await store.head(k('missing'))).toBeNull();
      expect(await codeOf(store.get(k('missing')))).toBe('storage.not_found');
      expect(await codeOf(store.read(k('missing'), 0, 10))).toBe('storage.not_found');
      expect(await codeOf(store.readAll(k('missing')))).toBe('storage.not_found');
      await store.delete(k('missing'));
    });

    it('lists by prefix in lexicographic order, isolated from neighbours', async () => {
      for (const key of ['l/b', 'l/a', 'l/c/d', 'l/c/a', 'lx/a', 'l2/a']) await store.put(k(key), key);
      const keys: string[] = [];
      for await (const object of store.list(k('l/'))) keys.push(object.key);
      expect(keys).toEqual([k('l/a'), k('l/b'), k('l/c/a'), k('l/c/d')]);
      const partial: string[] = [];
      for await (const object of store.list(k('l'))) partial.push(object.key);
      expect(partial).toEqual([k('l/a'), k('l/b'), k('l/c/a'), k('l/c/d'), k('l2/a'), k('lx/a')]);
    });

    it('deletes by prefix and says how many went, leaving neighbours', async () => {
      for (const key of ['p/1', 'p/2', 'p/q/3', 'pp/4']) await store.put(k(key), key);
      expect(await store.deletePrefix(k('p/'))).toBe(3);
      expect(await store.head(k('p/1'))).toBeNull();
      expect(await store.head(k('pp/4'))).not.toBeNull();
      expect(await codeOf(store.deletePrefix(k('pp')))).toBe('storage.invalid_key');
    });

    it('copies, refuses to overwrite with ifNoneMatch, and changes the etag with the content', async () => {
      const one = await store.put(k('e/x.json'), '{"v":1}');
      await store.copy(k('e/x.json'), k('e/y.json'));
      expect((await store.readAll(k('e/y.json'))).toString()).toBe('{"v":1}');
      expect(await codeOf(store.put(k('e/x.json'), 'again', { ifNoneMatch: true }))).toBe('storage.precondition_failed');
      expect((await store.readAll(k('e/x.json'))).toString()).toBe('{"v":1}');
      const two = await store.put(k('e/x.json'), '{"v":2}');
      expect(two.etag).not.toBe(one.etag);
      expect((await store.head(k('e/x.json')))?.etag).toBe(two.etag);
      expect(await codeOf(store.copy(k('e/none'), k('e/z')))).toBe('storage.not_found');
    });

    it('refuses hostile keys identically on every operation', async () => {
      for (const key of hostileKeys) {
        expect(await codeOf(store.put(key, 'x')), key).toBe('storage.invalid_key');
        expect(await codeOf(store.get(key)), key).toBe('storage.invalid_key');
        expect(await codeOf(store.head(key)), key).toBe('storage.invalid_key');
        expect(await codeOf(store.delete(key)), key).toBe('storage.invalid_key');
      }
    });

    it('answers ping', async () => {
      await store.ping();
    });
  });
}
