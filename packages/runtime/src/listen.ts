import type { AddressInfo, Server } from 'node:net';

/**
 * Waits for a server to listen and returns the URL to print: a wildcard bind address is shown as
 * loopback (a URL a user on this host can open).
 */
export async function listening(
  server: Pick<Server, 'once' | 'address' | 'listening'>,
  host: string,
): Promise<{ url: string; port: number }> {
  if (!server.listening) {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
  }
  const port = (server.address() as AddressInfo).port;
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return { url: `http://${shown}:${port}`, port };
}
