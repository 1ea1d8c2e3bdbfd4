// Development bearer tokens, signed with the data directory's HS256 secret (`vought token`).
import { SignJWT } from 'jose';
import type { DevKeys } from './dev-keys.ts';
import type { Role } from './roles.ts';

export async function signDevToken(
  keys: DevKeys,
  options: { role: Role; sub?: string; ttlSeconds?: number; issuer: string; audience: string; rolesClaim?: string },
): Promise<string> {
  const claimPath = (options.rolesClaim ?? 'roles').split('.');
  let claims: Record<string, unknown> = { [claimPath.at(-1) ?? 'roles']: [options.role] };
  for (const part of claimPath.slice(0, -1).reverse()) claims = { [part]: claims };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setSubject(options.sub ?? `dev-${options.role}`)
    .setIssuedAt()
    .setExpirationTime(`${options.ttlSeconds ?? 12 * 3600}s`)
    .sign(keys.devSecret);
}
