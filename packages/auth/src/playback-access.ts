// The one reader of playback tokens, shared by origins and edges: where a token rides (`?token=`
// or `Authorization: Bearer`), the header that marks an object whose every hit needs a token
// check, and a verifier that remembers good answers only as long as they stay true.
import { LRUCache } from 'lru-cache';
import { AuthError } from './auth-error.ts';
import type { PlaybackClaims, PlaybackVerifier } from './playback-tokens.ts';

/** Response header an origin sets on a private video's objects: "check a playback token on every hit". */
export const ACCESS_HEADER = 'x-vought-access';
export const ACCESS_TOKEN = 'token';

/** The playback token of a request: the `token` query parameter, else a Bearer credential. */
export function playbackTokenOf(authorization: string | null | undefined, queryToken: string | null | undefined): string | undefined {
  if (queryToken) return queryToken;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1];
}

/** How long a verified answer is reused at most, whatever the token's lifetime. */
const REUSE_MS = 60_000;

/**
 * Verifies playback tokens and remembers a success until the earlier of the token's expiry and a
 * minute, so a hot object does not cost a signature check per request, and an expired token stops
 * working when it expires. Failures are never remembered. With several verifiers (an edge knows
 * the JWKS of every upstream), one that is unavailable hands over to the next.
 */
export class CachedPlaybackVerifier {
  private readonly verified = new LRUCache<string, number>({ max: 10_000 });

  constructor(
    private readonly verifiers: PlaybackVerifier[],
    private readonly now: () => number = Date.now,
  ) {
    if (verifiers.length === 0) throw new AuthError('auth.misconfigured', 'a playback verifier needs at least one key source');
  }

  async verify(token: string | undefined, videoId: string): Promise<void> {
    const key = `${videoId}\n${token}`;
    const until = token ? this.verified.get(key) : undefined;
    if (until !== undefined && until > this.now()) return;
    const claims = await this.verifyWithAny(token, videoId);
    this.verified.set(key, Math.min(claims.expiresAt * 1000, this.now() + REUSE_MS));
  }

  private async verifyWithAny(token: string | undefined, videoId: string): Promise<PlaybackClaims> {
    let unavailable: unknown;
    for (const verifier of this.verifiers) {
      try {
        return await verifier.verify(token, videoId);
      } catch (error) {
        if (!(error instanceof AuthError) || error.code !== 'auth.unavailable') throw error;
        unavailable = error; // this key source is down: ask the next
      }
    }
    throw unavailable;
  }
}
