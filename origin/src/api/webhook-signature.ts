// Webhook signatures in the convention receivers already know from Stripe: the header
// `x-vought-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. Signing the
// timestamp with the body lets a receiver refuse a replayed delivery once `t` is too old, which a
// signature of the body alone cannot tell.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-vought-signature';

function hmac(secret: string, timestamp: number, rawBody: string | Buffer): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
}

/** The `x-vought-signature` value for `rawBody` sent at `now`. */
export function signWebhook(secret: string, rawBody: string | Buffer, now = new Date()): string {
  const t = Math.floor(now.getTime() / 1000);
  return `t=${t},v1=${hmac(secret, t, rawBody).toString('hex')}`;
}

/**
 * Whether `header` signs `rawBody` (the bytes as received, before any JSON parsing) under
 * `secret`, at a time within `toleranceSeconds` of `now` either way. Several `v1=` entries are
 * accepted (any one may match), as receivers of Stripe-style headers expect.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | null | undefined,
  rawBody: string | Buffer,
  options: { toleranceSeconds?: number; now?: Date } = {},
): boolean {
  const { toleranceSeconds = 300, now = new Date() } = options;
  if (!header) return false;
  let timestamp: number | null = null;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const [key, value = ''] = part.trim().split('=', 2);
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) signatures.push(Buffer.from(value, 'hex'));
  }
  if (timestamp === null || !signatures.length) return false;
  if (Math.abs(now.getTime() / 1000 - timestamp) > toleranceSeconds) return false; // stale (a replay) or from the future
  const expected = hmac(secret, timestamp, rawBody);
  // Every candidate is compared, in constant time: no early exit tells an attacker which one was close.
  return signatures.map((s) => timingSafeEqual(s, expected)).includes(true);
}
