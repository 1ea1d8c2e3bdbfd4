// Signed playback tokens: a JWT bound to one video (`vid`), expiring, naming its key (`kid`),
// signed ES256 by the origin's playback key. Edges verify them with the public JWKS alone
// (`/.well-known/jwks.json`), so no node but the origin holds the private key.
import { createLocalJWKSet, createRemoteJWKSet, customFetch, type JWTVerifyGetKey, jwtVerify, SignJWT } from 'jose';
import { AuthError } from './auth-error.ts';
import { checkShape, type FetchLike, translate, unavailableAware } from './authenticator.ts';
import { type DevKeys, PLAYBACK_ALG, playbackJwks } from './dev-keys.ts';

/** `aud` of every playback token; API tokens never carry it, so neither kind passes for the other. */
export const PLAYBACK_AUDIENCE = 'vought-playback';
const ISSUER = 'vought';
/** The longest a playback token may live; the API offers less (7 days). */
export const MAX_PLAYBACK_TTL_SECONDS = 30 * 24 * 3600;
/**
 * Seconds of clock skew allowed on `exp`. Small: the nodes that sign and check playback tokens are
 * vought's own (synchronised clocks), and a token must stop opening a video when it says it does.
 */
const CLOCK_TOLERANCE = 5;
const MAX_VIDEO_ID_LENGTH = 256;

export interface PlaybackTokenOptions {
  videoId: string;
  /** Lifetime in whole seconds, 1 to MAX_PLAYBACK_TTL_SECONDS. */
  ttlSeconds: number;
  /** Who asked for it (kept for logs and audits). */
  sub?: string;
  /** Clock in milliseconds since the epoch (tests); default Date.now(). */
  now?: number;
}

/** Signs a token that opens one video until `expiresAt` (seconds since the epoch). */
export async function signPlaybackToken(keys: DevKeys, options: PlaybackTokenOptions): Promise<{ token: string; expiresAt: number }> {
  checkVideoId(options.videoId);
  const { ttlSeconds } = options;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_PLAYBACK_TTL_SECONDS)
    throw new AuthError('auth.invalid_argument', `ttlSeconds must be a whole number from 1 to ${MAX_PLAYBACK_TTL_SECONDS}`, { ttlSeconds });
  if (options.sub !== undefined && (typeof options.sub !== 'string' || options.sub === ''))
    throw new AuthError('auth.invalid_argument', 'sub must be a non-empty string');
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  const expiresAt = now + ttlSeconds;
  const jwt = new SignJWT({ vid: options.videoId })
    .setProtectedHeader({ alg: PLAYBACK_ALG, kid: keys.kid, typ: 'JWT' })
    .setIssuer(ISSUER)
    .setAudience(PLAYBACK_AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(expiresAt);
  if (options.sub) jwt.setSubject(options.sub);
  return { token: await jwt.sign(keys.playbackPrivateKey), expiresAt };
}

/** Verifies a playback token with the origin's own keys; resolves with its claims, or throws AuthError. */
export function verifyPlaybackToken(keys: DevKeys, token: string | undefined, videoId: string): Promise<PlaybackClaims> {
  return PlaybackVerifier.fromKeys(keys).verify(token, videoId);
}

export interface PlaybackClaims {
  videoId: string;
  /** Seconds since the epoch. */
  expiresAt: number;
  sub?: string;
}

/** Verifies playback tokens for a video, with the origin's keys or (edges) a JWKS URL. */
export class PlaybackVerifier {
  private constructor(private readonly getKey: JWTVerifyGetKey) {}

  static fromKeys(keys: DevKeys): PlaybackVerifier {
    return new PlaybackVerifier(createLocalJWKSet(playbackJwks(keys)));
  }

  /**
   * For nodes that only know the origin's JWKS URL. Keys are cached (10 minutes) and fetched again
   * when a token names an unknown kid, at most once per `cooldownSeconds` (default 30).
   */
  static fromJwksUrl(url: string | URL, options: { fetch?: FetchLike; cooldownSeconds?: number } = {}): PlaybackVerifier {
    let jwksUrl: URL;
    try {
      jwksUrl = new URL(url);
    } catch {
      throw new AuthError('auth.misconfigured', `the JWKS URL ${JSON.stringify(String(url))} is not a URL`);
    }
    const remote = createRemoteJWKSet(jwksUrl, {
      cooldownDuration: (options.cooldownSeconds ?? 30) * 1000,
      cacheMaxAge: 10 * 60_000,
      timeoutDuration: 5000,
      ...(options.fetch ? { [customFetch]: options.fetch } : {}),
    });
    return new PlaybackVerifier(unavailableAware(remote, jwksUrl));
  }

  /** Resolves when `token` opens `videoId`; throws AuthError (missing, invalid, expired, unavailable) otherwise. */
  async verify(token: string | undefined, videoId: string): Promise<PlaybackClaims> {
    if (!token) throw new AuthError('auth.missing', 'this video needs a playback token (?token= or Authorization: Bearer)');
    checkShape(token);
    const expected = { issuer: ISSUER, audience: PLAYBACK_AUDIENCE, algorithms: [PLAYBACK_ALG] };
    let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
    try {
      ({ payload } = await jwtVerify(token, this.getKey, {
        algorithms: [PLAYBACK_ALG],
        issuer: ISSUER,
        audience: PLAYBACK_AUDIENCE,
        clockTolerance: CLOCK_TOLERANCE,
        requiredClaims: ['exp', 'vid'],
      }));
    } catch (error) {
      throw translate(error, expected);
    }
    if (typeof payload.vid !== 'string' || payload.vid !== videoId)
      throw new AuthError('auth.invalid', 'the playback token is for another video', { videoId });
    return { videoId, expiresAt: payload.exp as number, ...(typeof payload.sub === 'string' ? { sub: payload.sub } : {}) };
  }
}

function checkVideoId(videoId: unknown): void {
  // No control characters or spaces: the id travels in URLs and log lines.
  if (typeof videoId !== 'string' || videoId.length === 0 || videoId.length > MAX_VIDEO_ID_LENGTH || !/^[\x21-\x7e]+$/.test(videoId))
    throw new AuthError('auth.invalid_argument', `videoId must be 1 to ${MAX_VIDEO_ID_LENGTH} printable ASCII characters without spaces`);
}
