// `vought token --role ROLE [--sub ID] [--ttl SECONDS]`: a development JWT signed with the data
// directory's key, for curl and scripts. Only meaningful while the origin verifies dev tokens
// (no VOUGHT_OIDC_ISSUER); with SSO, get tokens from the identity provider.
import { loadDevKeys, type Role, roles, signDevToken } from '@vought/auth';
import type { Config } from '@vought/config';

export async function printToken(
  config: Config,
  values: { role?: string | undefined; sub?: string | undefined; ttl?: string | undefined },
): Promise<number> {
  const role = values.role as Role | undefined;
  if (!role || !roles.includes(role)) {
    console.error(`vought token: --role must be one of ${roles.join(', ')}`);
    return 2;
  }
  const ttl = values.ttl === undefined ? 12 * 3600 : Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl < 1) {
    console.error('vought token: --ttl must be a whole number of seconds');
    return 2;
  }
  if (config.auth.oidcIssuer)
    console.error('vought token: note: VOUGHT_OIDC_ISSUER is set, so the origin will not accept development tokens');
  const keys = await loadDevKeys(config.auth.keyDir);
  const token = await signDevToken(keys, {
    role,
    ttlSeconds: ttl,
    issuer: config.auth.issuer,
    audience: config.auth.audience,
    rolesClaim: config.auth.rolesClaim,
    ...(values.sub ? { sub: values.sub } : {}),
  });
  process.stdout.write(`${token}\n`);
  return 0;
}
