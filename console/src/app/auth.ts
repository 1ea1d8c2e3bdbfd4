// Who is signed in. The token lives in sessionStorage (or localStorage with "remember me"), never
// in a URL. Two ways in: a pasted token (development tokens from `npx vought token`, or any token
// the origin accepts), or, when the origin names an OIDC issuer and a client id, the authorization
// code flow with PKCE against the issuer found by discovery.

export interface ConsoleConfig {
  auth: { mode: 'dev'; rolesClaim: string } | { mode: 'oidc'; issuer: string; clientId: string | null; rolesClaim: string };
  publicUrl: string | null;
}

export type Role = 'admin' | 'editor' | 'viewer';

export interface Session {
  token: string;
  sub: string;
  name: string;
  role: Role;
  expiresAt: number | null;
}

const KEY = 'vought.token';
let config: ConsoleConfig = { auth: { mode: 'dev', rolesClaim: 'roles' }, publicUrl: null };
let current: Session | null = null;
const listeners = new Set<(s: Session | null, reason?: string) => void>();

export async function loadConfig(): Promise<ConsoleConfig> {
  try {
    const response = await fetch('/console/config.json');
    if (response.ok) config = (await response.json()) as ConsoleConfig;
  } catch {
    // keep the defaults: pasting a token still works
  }
  current = restore();
  return config;
}

export const consoleConfig = () => config;
export const session = () => current;
export const onSession = (listener: (s: Session | null, reason?: string) => void) => {
  listeners.add(listener);
  return () => listeners.delete(listener);
};

function base64UrlJson(part: string): Record<string, unknown> | null {
  try {
    const text = atob(
      part
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(part.length / 4) * 4, '='),
    );
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(text, (c) => c.charCodeAt(0)))) as Record<string, unknown>;
  } catch {
    return null;
  }
}

function claimAt(claims: Record<string, unknown>, path: string): unknown {
  let value: unknown = claims;
  for (const key of path.split('.')) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

/** Reads (does not verify: the API does) a JWT's subject, roles and expiry. */
export function describeToken(token: string): Session | null {
  const parts = token.trim().split('.');
  if (parts.length !== 3) return null;
  const claims = base64UrlJson(parts[1] ?? '');
  if (!claims) return null;
  const raw = claimAt(claims, config.auth.rolesClaim);
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(/[\s,]+/) : [];
  const role: Role = list.includes('admin') ? 'admin' : list.includes('editor') ? 'editor' : 'viewer';
  const sub = typeof claims.sub === 'string' ? claims.sub : '';
  const name =
    (typeof claims.preferred_username === 'string' && claims.preferred_username) || (typeof claims.name === 'string' && claims.name) || sub;
  return { token: token.trim(), sub, name, role, expiresAt: typeof claims.exp === 'number' ? claims.exp * 1000 : null };
}

function restore(): Session | null {
  const token = sessionStorage.getItem(KEY) ?? localStorage.getItem(KEY);
  if (!token) return null;
  const described = describeToken(token);
  if (!described || (described.expiresAt !== null && described.expiresAt < Date.now())) {
    sessionStorage.removeItem(KEY);
    localStorage.removeItem(KEY);
    return null;
  }
  return described;
}

/** Checks the token with the API (a list of your own videos needs a valid one), then keeps it. */
export async function signInWithToken(token: string, remember: boolean): Promise<Session> {
  const described = describeToken(token);
  if (!described) throw new Error('That is not a token: a token has three parts separated by dots.');
  if (described.expiresAt !== null && described.expiresAt < Date.now()) throw new Error('That token has expired. Make a new one.');
  const response = await fetch('/v1/videos?owner=me&limit=1', { headers: { authorization: `Bearer ${described.token}` } });
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
    throw new Error(`The server refused that token: ${body?.error?.message ?? response.statusText}`);
  }
  sessionStorage.removeItem(KEY);
  localStorage.removeItem(KEY);
  (remember ? localStorage : sessionStorage).setItem(KEY, described.token);
  current = described;
  for (const l of listeners) l(current);
  return described;
}

export function signOut(reason?: string): void {
  sessionStorage.removeItem(KEY);
  localStorage.removeItem(KEY);
  current = null;
  for (const l of listeners) l(null, reason);
}

export const canUpload = (s: Session | null) => s !== null && (s.role === 'editor' || s.role === 'admin');
export const canManage = (s: Session | null, video: { owner: string }) =>
  s !== null && (s.role === 'admin' || (s.role === 'editor' && s.sub === video.owner));

// ---- OIDC: authorization code with PKCE -------------------------------------------------------

const PKCE_KEY = 'vought.pkce';

const b64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

const random = (n: number) => b64url(crypto.getRandomValues(new Uint8Array(n)));

interface Discovery {
  authorization_endpoint: string;
  token_endpoint: string;
}

async function discover(issuer: string): Promise<Discovery> {
  const response = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
  if (!response.ok) throw new Error(`The identity provider did not answer its discovery document (${response.status}).`);
  return (await response.json()) as Discovery;
}

const redirectUri = () => `${location.origin}/callback`;

/** Sends the browser to the identity provider. */
export async function startOidc(next: string): Promise<void> {
  if (config.auth.mode !== 'oidc' || !config.auth.clientId) throw new Error('Single sign-on is not configured.');
  const { authorization_endpoint } = await discover(config.auth.issuer);
  const verifier = random(48);
  const challenge = b64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  const state = random(16);
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state, next }));
  const url = new URL(authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.auth.clientId,
    redirect_uri: redirectUri(),
    scope: 'openid profile',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state,
  }).toString();
  location.assign(url.href);
}

/** On /callback: trades the code for tokens, keeps the access token, returns where to go next. */
export async function completeOidc(params: URLSearchParams): Promise<string> {
  const saved = JSON.parse(sessionStorage.getItem(PKCE_KEY) ?? 'null') as { verifier: string; state: string; next: string } | null;
  sessionStorage.removeItem(PKCE_KEY);
  if (params.get('error')) throw new Error(`The identity provider said: ${params.get('error_description') ?? params.get('error')}`);
  if (!saved || params.get('state') !== saved.state)
    throw new Error('This sign-in answer does not match a sign-in started here. Try again.');
  if (config.auth.mode !== 'oidc' || !config.auth.clientId) throw new Error('Single sign-on is not configured.');
  const { token_endpoint } = await discover(config.auth.issuer);
  const response = await fetch(token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: params.get('code') ?? '',
      redirect_uri: redirectUri(),
      client_id: config.auth.clientId,
      code_verifier: saved.verifier,
    }),
  });
  const body = (await response.json().catch(() => ({}))) as { access_token?: string; error_description?: string };
  if (!response.ok || !body.access_token) throw new Error(`Signing in failed: ${body.error_description ?? response.statusText}`);
  await signInWithToken(body.access_token, false);
  return saved.next || '/';
}
