export { AuthError, type AuthErrorCode } from './auth-error.ts';
export { Authenticator, type AuthenticatorOptions, DEV_ALGORITHMS, type FetchLike, OIDC_ALGORITHMS, rolesFrom } from './authenticator.ts';
export { type DevKeys, loadDevKeys, PLAYBACK_ALG, playbackJwks } from './dev-keys.ts';
export { type DevTokenOptions, MAX_DEV_TOKEN_TTL_SECONDS, signDevToken } from './dev-token.ts';
export { ACCESS_HEADER, ACCESS_TOKEN, CachedPlaybackVerifier, playbackTokenOf } from './playback-access.ts';
export {
  MAX_PLAYBACK_TTL_SECONDS,
  PLAYBACK_AUDIENCE,
  type PlaybackClaims,
  type PlaybackTokenOptions,
  PlaybackVerifier,
  signPlaybackToken,
  verifyPlaybackToken,
} from './playback-tokens.ts';
export {
  type Action,
  ANONYMOUS,
  actions,
  authorize,
  type Decision,
  highestRole,
  isRole,
  type Principal,
  type Resource,
  type Role,
  roles,
} from './roles.ts';
