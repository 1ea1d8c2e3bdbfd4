// Who is asking: the client address of a request, believing `X-Forwarded-For` only from proxies the
// operator named (VOUGHT_TRUSTED_PROXIES). Rate limits and logs key on it; a header anyone can send
// must not choose someone else's bucket, and behind an edge every client must not share one.
import ipaddr from 'ipaddr.js';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

export class TrustedProxies {
  private readonly ranges: Range[];

  constructor(cidrs: readonly string[]) {
    this.ranges = cidrs.map((cidr) => (cidr.includes('/') ? ipaddr.parseCIDR(cidr) : hostRoute(cidr)));
  }

  trusts(address: string): boolean {
    const parsed = parse(address);
    if (!parsed) return false;
    return this.ranges.some(([range, bits]) => range.kind() === parsed.kind() && parsed.match(range, bits));
  }

  /**
   * The client: the peer, or, when the peer is a trusted proxy, the rightmost address of
   * X-Forwarded-For that is not a trusted proxy (the leftmost if all are). Entries left of the
   * first untrusted one could have been written by the client itself and are ignored.
   */
  clientAddress(peer: string | undefined, forwardedFor: string | null | undefined): string {
    const direct = normalise(peer ?? '') ?? 'unknown';
    if (!forwardedFor || !this.trusts(direct)) return direct;
    const chain = forwardedFor
      .split(',')
      .map((s) => normalise(s.trim()))
      .filter((s): s is string => s !== null);
    for (let i = chain.length - 1; i >= 0; i--) {
      const hop = chain[i] as string;
      if (!this.trusts(hop)) return hop;
    }
    return chain[0] ?? direct;
  }
}

function hostRoute(address: string): Range {
  const parsed = ipaddr.parse(address);
  return [parsed, parsed.kind() === 'ipv4' ? 32 : 128];
}

/** IPv4-mapped IPv6 (`::ffff:1.2.3.4`, how Node reports IPv4 peers on dual-stack sockets) as IPv4. */
function parse(address: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  try {
    return ipaddr.process(address.replace(/^\[|\]$/g, ''));
  } catch {
    return null;
  }
}

function normalise(address: string): string | null {
  return parse(address)?.toString() ?? null;
}
