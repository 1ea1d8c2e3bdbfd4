// The embedded default: objects as files under a root directory. Writes go to a temporary file in
// the same directory and are renamed into place, so a reader (or a crash) never sees half an object.
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { withSpan } from '@vought/observability';
import { contentTypeOf } from './content-types.ts';
import { validateKey, validatePrefix } from './key-validator.ts';
import { resolveRange } from './range.ts';
import { StorageError } from './storage-error.ts';
import { timeRead } from './storage-metrics.ts';
import type { ByteRange, ObjectBody, ObjectInfo, ObjectStore, PutBody, PutOptions } from './storage-types.ts';
import { holdStreamErrors } from './stream-errors.ts';

const TEMP_SUFFIX = '.tmp-vought';

interface FileStats {
  size: number;
  mtime: Date;
  mtimeNs: bigint;
  ino: bigint;
}

export interface FsStoreOptions {
  root: string;
}

export class FsStore implements ObjectStore {
  readonly kind = 'fs' as const;
  private readonly root: string;

  constructor(options: FsStoreOptions) {
    this.root = path.resolve(options.root);
  }

  private pathOf(key: string): string {
    const full = path.join(this.root, validateKey(key));
    // Belt and braces: validateKey already refuses anything that could climb out.
    if (!full.startsWith(this.root + path.sep)) throw new StorageError('storage.invalid_key', 'key leaves the store root', { key });
    return full;
  }

  private info(key: string, stats: FileStats): ObjectInfo {
    // Strong validator without hashing content: every put is a new file (new inode) renamed into
    // place, so size + mtime (ns) + inode changes whenever the bytes can have changed.
    const etag = `${stats.size.toString(16)}-${stats.mtimeNs.toString(16)}-${stats.ino.toString(16)}`;
    return { key, size: stats.size, etag, lastModified: stats.mtime, contentType: contentTypeOf(key) };
  }

  async put(key: string, body: PutBody, options: PutOptions = {}): Promise<ObjectInfo> {
    holdStreamErrors(body);
    const target = this.pathOf(key);
    return withSpan('storage.put', { 'storage.kind': 'fs', 'storage.key': key }, async () => {
      await fs.mkdir(path.dirname(target), { recursive: true });
      const temp = `${target}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`;
      try {
        const source = typeof body === 'string' || body instanceof Uint8Array ? Readable.from([Buffer.from(body)]) : Readable.from(body);
        await pipeline(source, createWriteStream(temp, { flags: 'wx' }));
        if (options.ifNoneMatch) {
          // link() fails if the target exists: an atomic create-if-absent.
          try {
            await fs.link(temp, target);
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
              throw new StorageError('storage.precondition_failed', `object exists: ${key}`, { key });
            }
            throw error;
          }
          await fs.unlink(temp);
        } else {
          await fs.rename(temp, target);
        }
      } catch (error) {
        await fs.unlink(temp).catch(() => {});
        throw mapError(error, key);
      }
      return this.info(key, await this.statOf(key));
    });
  }

  private async statOf(key: string): Promise<FileStats> {
    const file = this.pathOf(key);
    try {
      const stats = await fs.stat(file, { bigint: true });
      if (!stats.isFile()) throw new StorageError('storage.not_found', `no object ${key}`, { key });
      return { size: Number(stats.size), mtime: stats.mtime, mtimeNs: stats.mtimeNs, ino: stats.ino };
    } catch (error) {
      throw mapError(error, key);
    }
  }

  async get(key: string, range?: ByteRange): Promise<ObjectBody> {
    return withSpan('storage.get', { 'storage.kind': 'fs', 'storage.key': key }, async () => {
      // first byte: the file open (the stream opens by itself, whether or not it is read yet)
      const timed = timeRead('fs', range ? 'range' : 'get');
      let stats: FileStats;
      try {
        stats = await this.statOf(key);
      } catch (error) {
        timed();
        throw error;
      }
      const info = this.info(key, stats);
      const resolved = range ? resolveRange(range, info.size, key) : undefined;
      const body = createReadStream(this.pathOf(key), resolved ? { start: resolved.start, end: resolved.end } : {});
      const done = () => {
        body.off('ready', done).off('error', done);
        timed();
      };
      body.once('ready', done).once('error', done);
      return resolved ? { ...info, range: resolved, body } : { ...info, body };
    });
  }

  async read(key: string, offset: number, length: number, into?: Buffer): Promise<Buffer> {
    // Open, pread, close per call. A cache of open descriptors would save a syscall, but a file
    // replaced by another process (a re-encode) would keep serving the old inode's bytes; the
    // origin keeps hot segment bytes in memory instead (see origin/bench).
    const file = this.pathOf(key);
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
      throw new StorageError('storage.range_not_satisfiable', `bad read ${offset}+${length}`, { key });
    }
    const timed = timeRead('fs', 'range');
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, 'r');
    } catch (error) {
      timed();
      throw mapError(error, key);
    }
    try {
      const buffer = into && into.length >= length ? into : Buffer.allocUnsafe(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return filled === buffer.length ? buffer : buffer.subarray(0, filled);
    } catch (error) {
      throw mapError(error, key);
    } finally {
      timed();
      await handle.close();
    }
  }

  async readAll(key: string): Promise<Buffer> {
    const timed = timeRead('fs', 'get');
    try {
      return await fs.readFile(this.pathOf(key));
    } catch (error) {
      throw mapError(error, key);
    } finally {
      timed();
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const timed = timeRead('fs', 'head');
    try {
      return this.info(key, await this.statOf(key));
    } catch (error) {
      if (error instanceof StorageError && error.code === 'storage.not_found') return null;
      throw error;
    } finally {
      timed();
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    validatePrefix(prefix, { allowEmpty: true });
    // Walk from the deepest directory the prefix names; filter the rest by string prefix.
    const slash = prefix.lastIndexOf('/');
    const dirKey = slash >= 0 ? prefix.slice(0, slash) : '';
    const start = dirKey ? path.join(this.root, dirKey) : this.root;
    for (const key of await this.walk(start, dirKey)) {
      if (!key.startsWith(prefix)) continue;
      const stats = await this.statOf(key).catch(() => null);
      if (stats) yield this.info(key, stats);
    }
  }

  /** Every object key under `dir`, sorted lexicographically (by UTF-16 code units, as S3 by bytes for ASCII keys). */
  private async walk(dir: string, dirKey: string): Promise<string[]> {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
      throw mapError(error, dirKey);
    }
    const keys: string[] = [];
    for (const entry of entries) {
      const key = dirKey ? `${dirKey}/${entry.name}` : entry.name;
      if (entry.isDirectory()) keys.push(...(await this.walk(path.join(dir, entry.name), key)));
      else if (entry.isFile() && !entry.name.endsWith(TEMP_SUFFIX)) keys.push(key);
    }
    return keys.sort();
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    const from = this.pathOf(fromKey);
    const to = this.pathOf(toKey);
    await withSpan('storage.copy', { 'storage.kind': 'fs', 'storage.key': toKey }, async () => {
      await fs.mkdir(path.dirname(to), { recursive: true });
      const temp = `${to}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`;
      try {
        await fs.copyFile(from, temp);
        await fs.rename(temp, to);
      } catch (error) {
        await fs.unlink(temp).catch(() => {});
        throw mapError(error, fromKey);
      }
    });
  }

  async delete(key: string): Promise<void> {
    const file = this.pathOf(key);
    try {
      await fs.unlink(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw mapError(error, key);
    }
    await this.pruneEmptyDirs(path.dirname(file));
  }

  async deletePrefix(prefix: string): Promise<number> {
    if (!prefix.endsWith('/'))
      throw new StorageError('storage.invalid_key', `a prefix to delete must end with '/': ${prefix}`, { key: prefix });
    validatePrefix(prefix, { allowEmpty: false });
    return withSpan('storage.delete_prefix', { 'storage.kind': 'fs', 'storage.key': prefix }, async () => {
      let count = 0;
      for await (const object of this.list(prefix)) {
        await fs.unlink(this.pathOf(object.key)).catch(() => {});
        count++;
      }
      await fs.rm(path.join(this.root, prefix), { recursive: true, force: true });
      await this.pruneEmptyDirs(path.dirname(path.join(this.root, prefix)));
      return count;
    });
  }

  private async pruneEmptyDirs(dir: string): Promise<void> {
    let current = dir;
    while (current.startsWith(this.root + path.sep)) {
      try {
        await fs.rmdir(current);
      } catch {
        return; // not empty (or gone): stop climbing
      }
      current = path.dirname(current);
    }
  }

  async ping(): Promise<void> {
    await fs.mkdir(this.root, { recursive: true });
    await fs.access(this.root, fs.constants.R_OK | fs.constants.W_OK);
  }

  async close(): Promise<void> {}
}

function mapError(error: unknown, key: string): unknown {
  if (error instanceof StorageError) return error;
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR')
    return new StorageError('storage.not_found', `no object ${key}`, { key });
  if (code && ['EACCES', 'EPERM', 'EIO', 'ENOSPC', 'EMFILE', 'ENFILE', 'EROFS', 'EDQUOT'].includes(code)) {
    return new StorageError('storage.unavailable', `storage failed (${code}) for ${key}`, { key }, { cause: error });
  }
  return error;
}
