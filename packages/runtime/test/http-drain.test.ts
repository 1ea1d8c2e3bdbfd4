// HttpDrain in process: what a SIGTERM'd service does with its HTTP server (the process-level test,
// with a real origin and SIGTERM, is origin/test/shutdown.test.ts).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpDrain } from '../src/http-drain.ts';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(port: number, path: string, agent: http.Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

const servers: http.Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.closeAllConnections();
});

async function start(): Promise<{ server: http.Server; drain: HttpDrain; port: number; release: () => void }> {
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const server = http.createServer((req, res) => {
    if (req.url === '/slow') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first half;');
      void held.then(() => res.end('second half'));
    } else if (req.url === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': open\n\n');
    } else if (req.url === '/forever') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write('x');
    } else res.end('ok');
  });
  const drain = new HttpDrain(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { server, drain, port: (server.address() as AddressInfo).port, release };
}

describe('HttpDrain', () => {
  it('refuses new connections at once, finishes the request in flight, answers a kept-alive connection once with Connection: close', async () => {
    const { drain, port, release } = await start();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const other = new http.Agent({ keepAlive: true, maxSockets: 1 });
    expect((await request(port, '/', other)).headers.connection).toBe('keep-alive'); // an idle pooled connection
    const slow = request(port, '/slow', agent);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(drain.inFlight).toBe(1);

    const closed = drain.close(5_000);
    await expect(request(port, '/', new http.Agent())).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    // the pooled connection is still served, and told to go
    const last = await request(port, '/', other);
    expect(last.status).toBe(200);
    expect(last.headers.connection).toBe('close');

    release();
    expect((await slow).body).toBe('first half;second half');
    expect(await closed).toMatchObject({ cut: 0, streams: 0 });
    agent.destroy();
    other.destroy();
  });

  it('cuts event streams at once and whatever is left after the grace', async () => {
    const { drain, port } = await start();
    const events = request(port, '/events', new http.Agent()).catch((error: Error) => error);
    const forever = request(port, '/forever', new http.Agent()).catch((error: Error) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    const result = await drain.close(300);
    expect(result).toMatchObject({ streams: 1, cut: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await events).toBeInstanceOf(Error); // aborted: the client reconnects elsewhere
    expect(await forever).toBeInstanceOf(Error);
  });

  it('returns at once when idle', async () => {
    const { drain, port } = await start();
    const agent = new http.Agent({ keepAlive: true });
    await request(port, '/', agent);
    const started = Date.now();
    expect(await drain.close()).toMatchObject({ cut: 0 });
    expect(Date.now() - started).toBeLessThan(500);
    agent.destroy();
  });
});
