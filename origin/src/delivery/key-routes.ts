// Key delivery for encryption just in time: the HLS key URI (RFC 8216 §5.2: the 16 raw bytes of a
// key period's content key) and the W3C ClearKey licence (Encrypted Media Extensions §9.1.3/§9.1.4:
// a JSON request listing KIDs, answered with a JSON Web Key Set of those keys). Both need a playback
// token bound to the video, whatever its visibility, and are never stored by any cache: they answer
// `no-store`, and their paths are not delivery paths, so vought's edge passes them through.
import { KeyError } from '@vought/keys';
import { TOKEN_PARAMETER } from '@vought/manifest';
import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ApiError } from '../http/api-error.ts';
import type { ContentKeys } from './content-keys.ts';
import type { DeliveryIndex, DeliveryRecord } from './delivery-index.ts';
import type { PlaybackAccess } from './playback-access.ts';

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache', 'access-control-allow-origin': '*' };

/** Largest licence request read (a few hundred KIDs); players send one or two. */
const MAX_LICENCE_BYTES = 16 * 1024;
const MAX_KIDS = 64;
const B64URL_KID = /^[A-Za-z0-9_-]{22}$/;

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

/** How many key periods a video has under its rotation: its longest track's fragments bound the segments. */
const periodCount = (keys: ContentKeys, record: DeliveryRecord) =>
  keys.periodCount(record, Math.max(1, ...record.index.tracks.map((t) => t.fragments.time.length)));

function badLicence(message: string): never {
  throw new ApiError('http.bad_request', `ClearKey licence request: ${message}`);
}

/** Refused before it is read, and counted as it streams (a chunked body names no length). */
const smallBody = bodyLimit({
  maxSize: MAX_LICENCE_BYTES,
  onError: () => {
    throw new ApiError('http.payload_too_large', `a licence request is at most ${MAX_LICENCE_BYTES} bytes`);
  },
});

async function licenceRequest(c: Context): Promise<{ kids: string[]; type: string }> {
  const text = await c.req.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    badLicence('the body is not JSON (EME ClearKey: {"kids": ["<base64url KID>"], "type": "temporary"})');
  }
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { kids?: unknown }).kids)) badLicence('"kids" must be an array');
  const { kids, type } = body as { kids: unknown[]; type?: unknown };
  if (kids.length === 0 || kids.length > MAX_KIDS) badLicence(`"kids" must hold 1 to ${MAX_KIDS} KIDs`);
  for (const kid of kids)
    if (typeof kid !== 'string' || !B64URL_KID.test(kid)) badLicence('each KID is 16 bytes in base64url without padding');
  if (type !== undefined && type !== 'temporary' && type !== 'persistent-license') badLicence('"type" is temporary or persistent-license');
  return { kids: kids as string[], type: (type as string | undefined) ?? 'temporary' };
}

export function mountKeyRoutes(app: Hono, index: DeliveryIndex, access: PlaybackAccess, keys: ContentKeys): void {
  // a DRM's licence server delivers the keys: vought never hands them out (the routes do not exist)
  if (!keys.clearKey) return;
  app.on(['GET', 'HEAD'], '/v1/videos/:id/keys/:key{k(0|[1-9][0-9]{0,8})}', async (c) => {
    const record = await index.get(c.req.param('id'));
    await access.requireToken(record, c.req.header('authorization'), c.req.query(TOKEN_PARAMETER));
    const period = Number((c.req.param('key') as string).slice(1));
    if (period >= periodCount(keys, record))
      throw new ApiError('http.not_found', `key period ${period} does not exist for video ${record.video.id}`);
    const key = await keys.keyFor(record.video.id, period);
    const headers = { ...NO_STORE, 'content-type': 'application/octet-stream', 'content-length': '16' };
    return c.req.method === 'HEAD' ? c.body(null, 200, headers) : c.body(new Uint8Array(key.key), 200, headers);
  });

  app.post('/v1/videos/:id/keys/clearkey', smallBody, async (c) => {
    const record = await index.get(c.req.param('id'));
    await access.requireToken(record, c.req.header('authorization'), c.req.query(TOKEN_PARAMETER));
    const request = await licenceRequest(c);
    const wanted = new Set(request.kids);
    const found: Array<{ kty: 'oct'; kid: string; k: string }> = [];
    // KIDs name key periods only through the provider: look through the video's periods
    const periods = periodCount(keys, record);
    for (let period = 0; period < periods && found.length < wanted.size; period++) {
      const key = await keys.keyFor(record.video.id, period);
      const kid = b64url(key.kid);
      if (wanted.has(kid) && !found.some((k) => k.kid === kid)) found.push({ kty: 'oct', kid, k: b64url(key.key) });
    }
    if (found.length === 0) throw new KeyError('keys.not_found', `none of the KIDs asked for protects video ${record.video.id}`);
    return c.json({ keys: found, type: request.type }, 200, NO_STORE);
  });
}
