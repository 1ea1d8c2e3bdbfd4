import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FsStore } from './fs-store.ts';
import { hostileKeys, storeContract } from './store.contract.ts';

storeContract('fs', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'vought-fs-'));
  return { store: new FsStore({ root: path.join(root, 'objects') }), cleanup: () => fs.rm(root, { recursive: true, force: true }) };
});

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(path.join(entry.parentPath, entry.name));
  }
  return out;
}

describe('FsStore specifics', () => {
  it('writes nothing outside its root, whatever the key', async () => {
    const sandbox = await fs.mkdtemp(path.join(os.tmpdir(), 'vought-escape-'));
    const root = path.join(sandbox, 'a', 'objects');
    const store = new FsStore({ root });
    await store.ping();
    for (const key of [...hostileKeys, '../../escape', 'x/../../../escape']) await store.put(key, 'x').catch(() => {});
    const files = await filesUnder(sandbox);
    expect(files.filter((f) => !f.startsWith(root + path.sep))).toEqual([]);
    await fs.rm(sandbox, { recursive: true, force: true });
  });

  it('never exposes a half-written object: a failing body leaves nothing behind', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'vought-fs-'));
    const store = new FsStore({ root });
    async function* broken() {
      yield Buffer.from('partial');
      throw new Error('client went away');
    }
    await expect(store.put('videos/v1/source', broken())).rejects.toThrow('client went away');
    expect(await store.head('videos/v1/source')).toBeNull();
    expect(await filesUnder(root)).toEqual([]);
    await fs.rm(root, { recursive: true, force: true });
  });

  it('keeps an existing object when a replacement fails midway', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'vought-fs-'));
    const store = new FsStore({ root });
    await store.put('videos/v1/index.json', 'old');
    async function* broken() {
      yield Buffer.from('new');
      throw new Error('disk full');
    }
    await expect(store.put('videos/v1/index.json', broken())).rejects.toThrow();
    expect((await store.readAll('videos/v1/index.json')).toString()).toBe('old');
    await fs.rm(root, { recursive: true, force: true });
  });
});
