// Keys generated at first start into the data directory (never in the repo): an HS256 secret for
// development bearer tokens, and an ES256 key pair for playback tokens, whose public half is served
// as a JWKS so edges can verify playback tokens without the private key.
//
// Several processes starting together (origin, encoder and edge in one `npm start`, or replicas
// sharing a volume) must end up with one key set. Each writes a complete candidate to a private
// temporary file and hard-links it to the final name: link(2) fails with EEXIST when the name is
// taken, so exactly one candidate wins and the losers read the winner's file. Readers never see a
// half-written file, because the final name only ever points at a finished, fsynced one.
import { randomBytes, type webcrypto } from 'node:crypto';
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { AuthError } from './auth-error.ts';

/** The playback signing algorithm (RFC 7518 §3.4: ECDSA P-256 SHA-256). */
export const PLAYBACK_ALG = 'ES256';

export interface DevKeys {
  /** HS256 secret for development bearer tokens (32 random bytes). */
  devSecret: Uint8Array;
  /** ES256 private key for playback tokens; never leaves the process. */
  playbackPrivateKey: webcrypto.CryptoKey;
  /** The public half as a JWK with `kid`, `alg` and `use`, as served in the JWKS. */
  playbackPublicJwk: JWK & { kid: string };
  /** RFC 7638 JWK thumbprint of the playback public key. */
  kid: string;
}

/** The file format (`keys.json`); `version` lets a later format migrate it. */
interface KeyFile {
  version: 1;
  devSecret: string;
  playback: { privateJwk: JWK; publicJwk: JWK; kid: string };
}

const FILE = 'keys.json';
const SECRET_BYTES = 32;
// A file whose contents cannot be parsed may still be being copied by the no-hard-link fallback
// below; wait this long for it to complete before calling it damaged.
const SETTLE_ATTEMPTS = 20;
const SETTLE_DELAY_MS = 50;

/** Loads the key directory's keys, generating them on first start. */
export async function loadDevKeys(keyDir: string): Promise<DevKeys> {
  const dir = path.resolve(keyDir);
  await prepareDirectory(dir);
  const target = path.join(dir, FILE);
  const existing = await readKeys(target);
  if (existing) return existing;
  await publishCandidate(dir, target);
  const keys = await readKeys(target);
  if (!keys) throw new AuthError('auth.misconfigured', `key file ${target} vanished right after it was written`, { path: target });
  return keys;
}

/** The public keys as a JWKS document (served at /.well-known/jwks.json). Never holds private members. */
export function playbackJwks(keys: DevKeys): { keys: JWK[] } {
  const { kty, crv, x, y, kid, alg, use } = keys.playbackPublicJwk;
  return { keys: [{ kty, crv, x, y, kid, alg, use } as JWK] };
}

async function prepareDirectory(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const stat = await fs.stat(dir);
    if (!stat.isDirectory()) throw new AuthError('auth.misconfigured', `key directory ${dir} is not a directory`, { path: dir });
    // mkdir's mode only applies to a directory it creates: tighten one made by hand or by an
    // older version, as ssh does for ~/.ssh (only the owner can, so leave others' directories be).
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0 && stat.uid === process.getuid?.()) await fs.chmod(dir, 0o700);
  } catch (error) {
    if (error instanceof AuthError) throw error;
    throw new AuthError(
      'auth.misconfigured',
      `cannot prepare key directory ${dir}: ${(error as Error).message}`,
      { path: dir },
      { cause: error },
    );
  }
}

/** Reads and validates the key file; null when it does not exist yet. */
async function readKeys(file: string): Promise<DevKeys | null> {
  for (let attempt = 1; ; attempt++) {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new AuthError(
        'auth.misconfigured',
        `cannot read key file ${file}: ${(error as Error).message}`,
        { path: file },
        { cause: error },
      );
    }
    try {
      const keys = await parseKeys(text);
      await tightenFileMode(file);
      return keys;
    } catch (error) {
      if (attempt < SETTLE_ATTEMPTS && error instanceof SyntaxError) {
        await new Promise((resolve) => setTimeout(resolve, SETTLE_DELAY_MS));
        continue;
      }
      const why = error instanceof AuthError ? error.message : 'it is not valid JSON';
      throw new AuthError(
        'auth.misconfigured',
        `key file ${file} is damaged (${why}); move it away to generate new keys (tokens signed with the old keys stop working)`,
        { path: file },
        { cause: error },
      );
    }
  }
}

async function tightenFileMode(file: string): Promise<void> {
  if (process.platform === 'win32') return;
  const stat = await fs.stat(file);
  if ((stat.mode & 0o077) !== 0 && stat.uid === process.getuid?.()) await fs.chmod(file, 0o600);
}

async function parseKeys(text: string): Promise<DevKeys> {
  const file = JSON.parse(text) as Partial<KeyFile> | null;
  const bad = (what: string) => new AuthError('auth.misconfigured', what);
  if (!file || typeof file !== 'object' || file.version !== 1) throw bad('unknown format version');
  if (typeof file.devSecret !== 'string') throw bad('no development secret');
  const devSecret = Buffer.from(file.devSecret, 'base64url');
  if (devSecret.length < SECRET_BYTES) throw bad(`the development secret is shorter than ${SECRET_BYTES} bytes`);
  const playback = file.playback;
  if (!playback || typeof playback !== 'object' || !isObject(playback.privateJwk) || !isObject(playback.publicJwk))
    throw bad('no playback key pair');
  const { privateJwk, publicJwk } = playback;
  if (privateJwk.kty !== 'EC' || privateJwk.crv !== 'P-256' || typeof privateJwk.d !== 'string')
    throw bad('the playback key is not a P-256 private key');
  if (publicJwk.x !== privateJwk.x || publicJwk.y !== privateJwk.y || 'd' in publicJwk)
    throw bad('the playback public key does not match the private key');
  // The kid is derived, not trusted: a hand-edited file cannot make tokens name another key.
  const kid = await calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x: publicJwk.x, y: publicJwk.y } as JWK);
  if (playback.kid !== kid) throw bad('the playback kid is not the key thumbprint');
  let playbackPrivateKey: webcrypto.CryptoKey;
  try {
    playbackPrivateKey = (await importJWK({ ...privateJwk, alg: PLAYBACK_ALG }, PLAYBACK_ALG)) as webcrypto.CryptoKey;
  } catch {
    throw bad('the playback private key cannot be imported');
  }
  return {
    devSecret,
    playbackPrivateKey,
    playbackPublicJwk: { kty: 'EC', crv: 'P-256', x: publicJwk.x, y: publicJwk.y, kid, alg: PLAYBACK_ALG, use: 'sig' } as JWK & {
      kid: string;
    },
    kid,
  };
}

function isObject(value: unknown): value is JWK {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

async function generate(): Promise<KeyFile> {
  const { privateKey, publicKey } = await generateKeyPair(PLAYBACK_ALG, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk); // RFC 7638
  return {
    version: 1,
    devSecret: randomBytes(SECRET_BYTES).toString('base64url'),
    playback: { privateJwk: await exportJWK(privateKey), publicJwk: { ...publicJwk, kid, alg: PLAYBACK_ALG, use: 'sig' }, kid },
  };
}

/** Writes a fresh key set and links it to `target` unless another process got there first. */
async function publishCandidate(dir: string, target: string): Promise<void> {
  const candidate = path.join(dir, `.${FILE}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await fs.open(candidate, 'wx', 0o600);
    try {
      await handle.writeFile(JSON.stringify(await generate()));
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await fs.link(candidate, target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return; // another process won; the caller reads its keys
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP') throw error;
      // Filesystems without hard links (some FUSE and SMB mounts): an exclusive copy still lets
      // only one writer win; readers wait out the copy (SETTLE_ATTEMPTS).
      await fs.copyFile(candidate, target, constants.COPYFILE_EXCL).catch((copyError: NodeJS.ErrnoException) => {
        if (copyError.code !== 'EEXIST') throw copyError;
      });
    }
    await syncDirectory(dir);
  } catch (error) {
    throw new AuthError(
      'auth.misconfigured',
      `cannot write keys into ${dir}: ${(error as Error).message}`,
      { path: dir },
      { cause: error },
    );
  } finally {
    await fs.unlink(candidate).catch(() => {});
  }
}

/** Makes the new directory entry durable (POSIX: fsync the directory), where the platform allows. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r').catch(() => null);
  if (!handle) return;
  await handle.sync().catch(() => {});
  await handle.close();
}
