// A tiny identity provider over real HTTP: OIDC discovery and a JWKS that tests can rotate, break
// and count requests to.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWK } from 'jose';

export class OidcProvider {
  /** What the JWKS endpoint serves; change it to rotate keys. */
  jwks: { keys: JWK[] } = { keys: [] };
  /** Status of the JWKS endpoint (set 503 to take it down). */
  jwksStatus = 200;
  /** Overrides of the discovery document (e.g. another issuer). */
  discovery: Record<string, unknown> = {};
  discoveryStatus = 200;
  /** Requests per path. */
  readonly hits = new Map<string, number>();
  private constructor(
    private readonly server: http.Server,
    readonly base: string,
  ) {}

  static async start(realm = '/realms/vought'): Promise<OidcProvider> {
    let provider: OidcProvider | undefined;
    const server = http.createServer((req, res) => provider?.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    provider = new OidcProvider(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    provider.realm = realm;
    return provider;
  }

  realm = '';
  get issuer(): string {
    return `${this.base}${this.realm}`;
  }

  hitsOf(path: string): number {
    return this.hits.get(path) ?? 0;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = req.url ?? '/';
    this.hits.set(url, this.hitsOf(url) + 1);
    res.setHeader('content-type', 'application/json');
    if (url === `${this.realm}/.well-known/openid-configuration`) {
      res.statusCode = this.discoveryStatus;
      res.end(JSON.stringify({ issuer: this.issuer, jwks_uri: `${this.issuer}/certs`, ...this.discovery }));
      return;
    }
    if (url === `${this.realm}/certs`) {
      res.statusCode = this.jwksStatus;
      res.end(JSON.stringify(this.jwksStatus === 200 ? this.jwks : { error: 'down' }));
      return;
    }
    res.statusCode = 404;
    res.end('{"error":"not found"}');
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
