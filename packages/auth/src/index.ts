export { AuthError, type AuthErrorCode } from './auth-error.ts';
export { Authenticator, type AuthenticatorOptions, rolesFrom } from './authenticator.ts';
export { type DevKeys, loadDevKeys, playbackJwks } from './dev-keys.ts';
export { signDevToken } from './dev-token.ts';
export { PLAYBACK_AUDIENCE, PlaybackVerifier, signPlaybackToken } from './playback-tokens.ts';
export { type Action, authorize, type Decision, highestRole, type Principal, type Role, roles } from './roles.ts';
