// Where tus remembers unfinished uploads between runs: one JSON file in the user's config
// directory ($XDG_CONFIG_HOME/vought/uploads.json, else ~/.config/vought/uploads.json), keyed by
// tus's fingerprint of the file (path, size, modification time, endpoint). Written whole to a
// temporary file and renamed, so an interrupted run never leaves it half-written; entries older
// than tus's own expiry on the server (a day) are dropped.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { PreviousUpload, UrlStorage } from 'tus-js-client';

const MAX_AGE_MS = 24 * 3600 * 1000;

export function configDir(xdgConfigHome: string | undefined): string {
  return path.join(xdgConfigHome || path.join(os.homedir(), '.config'), 'vought');
}

type Stored = PreviousUpload & { fingerprint: string; urlStorageKey: string };

export class FileUrlStorage implements UrlStorage {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly file: string) {}

  private async read(): Promise<Stored[]> {
    try {
      const parsed = JSON.parse(await fs.readFile(this.file, 'utf8')) as { uploads?: Stored[] };
      const now = Date.now();
      return (parsed.uploads ?? []).filter((u) => now - Date.parse(u.creationTime) < MAX_AGE_MS);
    } catch {
      return [];
    }
  }

  private async write(uploads: Stored[]): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const temporary = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    await fs.writeFile(temporary, `${JSON.stringify({ uploads }, null, 2)}\n`, { mode: 0o600 });
    await fs.rename(temporary, this.file);
  }

  /** One read-modify-write at a time (several files upload at once). */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => {});
    return next;
  }

  findAllUploads(): Promise<PreviousUpload[]> {
    return this.serial(() => this.read());
  }

  findUploadsByFingerprint(fingerprint: string): Promise<PreviousUpload[]> {
    return this.serial(async () => (await this.read()).filter((u) => u.fingerprint === fingerprint));
  }

  removeUpload(urlStorageKey: string): Promise<void> {
    return this.serial(async () => {
      const uploads = await this.read();
      const kept = uploads.filter((u) => u.urlStorageKey !== urlStorageKey);
      if (kept.length !== uploads.length) await this.write(kept);
    });
  }

  addUpload(fingerprint: string, upload: PreviousUpload): Promise<string> {
    return this.serial(async () => {
      const urlStorageKey = `tus::${fingerprint}::${randomBytes(6).toString('hex')}`;
      await this.write([...(await this.read()), { ...upload, fingerprint, urlStorageKey }]);
      return urlStorageKey;
    });
  }
}
