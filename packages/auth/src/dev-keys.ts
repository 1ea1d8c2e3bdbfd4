// Keys generated at first start into the data directory (never in the repo): an HS256 secret for
// development bearer tokens, and an ES256 key pair for playback tokens, whose public half is served
// as a JWKS so edges can verify playback tokens without the private key. Several processes starting
// together (origin, encoder and edge) must end up with one key set: each writes a candidate to a
// temporary file and links it into place; link() fails if another won, and the loser reads theirs.
import { randomBytes, type webcrypto } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';

export interface DevKeys {
  /** HS256 secret for development bearer tokens. */
  devSecret: Uint8Array;
  /** ES256 private key for playback tokens. */
  playbackPrivateKey: webcrypto.CryptoKey;
  playbackPublicJwk: JWK & { kid: string };
  kid: string;
}

interface KeyFile {
  version: 1;
  devSecret: string;
  playback: { privateJwk: JWK; publicJwk: JWK; kid: string };
}

const FILE = 'keys.json';

async function generate(): Promise<KeyFile> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk); // RFC 7638
  return {
    version: 1,
    devSecret: randomBytes(32).toString('base64url'),
    playback: { privateJwk: await exportJWK(privateKey), publicJwk: { ...publicJwk, kid, alg: 'ES256', use: 'sig' }, kid },
  };
}

async function load(file: KeyFile): Promise<DevKeys> {
  const playbackPrivateKey = (await importJWK({ ...file.playback.privateJwk, alg: 'ES256' }, 'ES256')) as webcrypto.CryptoKey;
  return {
    devSecret: Buffer.from(file.devSecret, 'base64url'),
    playbackPrivateKey,
    playbackPublicJwk: { ...file.playback.publicJwk, kid: file.playback.kid },
    kid: file.playback.kid,
  };
}

/** Loads the data directory's keys, generating them on first start. */
export async function loadDevKeys(keyDir: string): Promise<DevKeys> {
  await fs.mkdir(keyDir, { recursive: true, mode: 0o700 });
  const target = path.join(keyDir, FILE);
  try {
    return await load(JSON.parse(await fs.readFile(target, 'utf8')) as KeyFile);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const candidate = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  await fs.writeFile(candidate, JSON.stringify(await generate()), { mode: 0o600, flag: 'wx' });
  try {
    await fs.link(candidate, target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await fs.unlink(candidate).catch(() => {});
  }
  return load(JSON.parse(await fs.readFile(target, 'utf8')) as KeyFile);
}

/** The public keys as a JWKS document (served at /.well-known/jwks.json). */
export function playbackJwks(keys: DevKeys): { keys: JWK[] } {
  return { keys: [keys.playbackPublicJwk] };
}
