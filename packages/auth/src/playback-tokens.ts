// Signed playback tokens (issue 6): a JWT bound to one video, expiring, with `kid`, signed ES256 by
// the origin's playback key. Edges verify them with the public JWKS alone.
import { createLocalJWKSet, createRemoteJWKSet, type JWTVerifyGetKey, jwtVerify, SignJWT } from 'jose';
import { AuthError } from './auth-error.ts';
import { translate } from './authenticator.ts';
import { type DevKeys, playbackJwks } from './dev-keys.ts';

export const PLAYBACK_AUDIENCE = 'vought-playback';
const ISSUER = 'vought';

export async function signPlaybackToken(
  keys: DevKeys,
  options: { videoId: string; ttlSeconds: number; sub?: string; now?: number },
): Promise<{ token: string; expiresAt: number }> {
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  const expiresAt = now + options.ttlSeconds;
  const jwt = new SignJWT({ vid: options.videoId })
    .setProtectedHeader({ alg: 'ES256', kid: keys.kid, typ: 'JWT' })
    .setIssuer(ISSUER)
    .setAudience(PLAYBACK_AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(expiresAt);
  if (options.sub) jwt.setSubject(options.sub);
  return { token: await jwt.sign(keys.playbackPrivateKey), expiresAt };
}

/** Verifies playback tokens for a video, with the origin's keys or (edges) a JWKS URL. */
export class PlaybackVerifier {
  private constructor(private readonly getKey: JWTVerifyGetKey) {}

  static fromKeys(keys: DevKeys): PlaybackVerifier {
    return new PlaybackVerifier(createLocalJWKSet(playbackJwks(keys)));
  }

  static fromJwksUrl(url: string): PlaybackVerifier {
    return new PlaybackVerifier(createRemoteJWKSet(new URL(url), { cooldownDuration: 30_000, cacheMaxAge: 600_000 }));
  }

  async verify(token: string | undefined, videoId: string): Promise<void> {
    if (!token) throw new AuthError('auth.missing', 'this video needs a playback token (?token= or Authorization: Bearer)');
    try {
      const { payload } = await jwtVerify(token, this.getKey, {
        algorithms: ['ES256'],
        issuer: ISSUER,
        audience: PLAYBACK_AUDIENCE,
        clockTolerance: 30,
        requiredClaims: ['exp', 'vid'],
      });
      if (payload.vid !== videoId) throw new AuthError('auth.invalid', 'the playback token is for another video');
    } catch (error) {
      throw translate(error);
    }
  }
}
