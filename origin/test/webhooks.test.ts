// Webhooks over real HTTP: registration, signed delivery to a real receiver, retries, the delivery
// log, deletion, and the refusal of private targets (SSRF).
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startTestOrigin } from './harness.ts';

/** A body that passes the content check (it starts like an MP4) followed by random bytes. */
function mp4Like(size: number): Buffer {
  const bytes = randomBytes(size);
  Buffer.from([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70, 0x69, 0x73, 0x6f, 0x6d]).copy(bytes, 0);
  return bytes;
}

describe('webhooks', () => {
  it('POSTs signed events of your videos to your URL, retries failures with backoff, and logs deliveries', {
    timeout: 60_000,
  }, async () => {
    const { createServer } = await import('node:http');
    const { createHmac } = await import('node:crypto');
    const received: Array<{ event: string; body: string; signature: string }> = [];
    let failNext = 1;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        if (failNext-- > 0) {
          res.statusCode = 500;
          return res.end();
        }
        received.push({ event: String(req.headers['x-vought-event']), body, signature: String(req.headers['x-vought-signature']) });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const hookUrl = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}/hook`;
    // by default webhooks to private addresses are refused (SSRF)
    const strict = await startTestOrigin();
    try {
      const res = await fetch(`${strict.url}/v1/webhooks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await strict.token('editor')}`, 'content-type': 'application/json' },
        body: JSON.stringify({ url: hookUrl }),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain('private address');
    } finally {
      await strict.close();
    }
    const t = await startTestOrigin({ VOUGHT_WEBHOOK_PRIVATE_TARGETS: 'true' });
    try {
      const editor = await t.token('editor', 'alice');
      const auth = { authorization: `Bearer ${editor}`, 'content-type': 'application/json' };
      expect(
        (
          await fetch(`${t.url}/v1/webhooks`, {
            method: 'POST',
            headers: { ...auth, authorization: `Bearer ${await t.token('viewer')}` },
            body: JSON.stringify({ url: hookUrl }),
          })
        ).status,
      ).toBe(403);
      expect(
        (await fetch(`${t.url}/v1/webhooks`, { method: 'POST', headers: auth, body: JSON.stringify({ url: 'ftp://x/y' }) })).status,
      ).toBe(400);
      const created = await fetch(`${t.url}/v1/webhooks`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ url: hookUrl, events: ['video.queued'] }),
      });
      expect(created.status).toBe(201);
      const hook = (await created.json()) as { id: string; secret: string };
      expect(hook.secret.length).toBeGreaterThan(20);
      const { id } = (await (
        await fetch(`${t.url}/v1/videos`, { method: 'POST', headers: auth, body: JSON.stringify({ title: 'hooked' }) })
      ).json()) as { id: string };
      expect(
        (
          await fetch(`${t.url}/v1/videos/${id}/source`, {
            method: 'PUT',
            headers: { authorization: `Bearer ${editor}` },
            body: mp4Like(2000),
          })
        ).status,
      ).toBe(202);
      const deadline = Date.now() + 30_000;
      while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(received).toHaveLength(1); // only the subscribed event type, once, after one failed attempt
      const [delivery] = received;
      expect(delivery?.event).toBe('video.queued');
      expect(JSON.parse(delivery?.body ?? '{}')).toMatchObject({ videoId: id, status: 'queued', event: 'video.queued' });
      expect(delivery?.signature).toBe(
        `sha256=${createHmac('sha256', hook.secret)
          .update(delivery?.body ?? '')
          .digest('hex')}`,
      );
      const log = (await (await fetch(`${t.url}/v1/webhooks/${hook.id}/deliveries`, { headers: auth })).json()) as {
        items: Array<{ status: string; attempts: number; lastError: string | null }>;
      };
      expect(log.items[0]).toMatchObject({ status: 'delivered', attempts: 2 });
      const list = (await (await fetch(`${t.url}/v1/webhooks`, { headers: auth })).json()) as {
        items: Array<{ id: string; secret?: string }>;
      };
      expect(list.items.map((h) => h.id)).toEqual([hook.id]);
      expect(list.items[0]?.secret).toBeUndefined();
      expect(
        (
          await fetch(`${t.url}/v1/webhooks/${hook.id}`, {
            method: 'DELETE',
            headers: { authorization: `Bearer ${await t.token('editor', 'bob')}` },
          })
        ).status,
      ).toBe(404);
      expect((await fetch(`${t.url}/v1/webhooks/${hook.id}`, { method: 'DELETE', headers: auth })).status).toBe(204);
    } finally {
      await t.close();
      server.close();
    }
  });
});
