// Which addresses a webhook may be delivered to, and a connection that only reaches those.
//
// A webhook URL is chosen by a user, so without these checks a delivery could probe the network
// vought runs in (SSRF): loopback, private ranges, cloud metadata at 169.254.169.254, ... Only
// public unicast addresses pass. The check runs on every address a host resolves to, inside the
// connection's own DNS lookup, so the address that was checked is the one connected to: a host
// that answers a public address to a first lookup and 127.0.0.1 to a second (DNS rebinding) has
// no second, unchecked lookup to exploit.
import type { LookupAddress } from 'node:dns';
import dns from 'node:dns/promises';
import net from 'node:net';
import { CodedError } from '@vought/errors';
import type { WebhookErrorCode } from '@vought/http-errors';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector } from 'undici';

/** Answers every address of a host name, like `dns.lookup(host, { all: true })`. */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (hostname) => dns.lookup(hostname, { all: true });

export class TargetRefusedError extends CodedError<WebhookErrorCode> {
  constructor(message: string) {
    super('webhook.target_refused', message);
  }
}

// IPv6 global unicast is 2000::/3 (RFC 4291 §2.4, IANA IPv6 address space); ipaddr.js calls some
// addresses outside it `unicast` — the IPv4-compatible ::a.b.c.d (::/96, deprecated by RFC 4291
// §2.5.5.1), the 100:0:0:1::/64 dummy prefix (RFC 9780), unassigned space — so they are refused
// as reserved.
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');
// The NAT64 Well-Known Prefix carries an IPv4 address in its last 32 bits (RFC 6052 §2.2), and a
// DNS64 resolver on an IPv6-only network answers it for every IPv4-only host: judge the embedded
// address (RFC 6052 §3.1 forbids the prefix for non-global IPv4 anyway). The local-use
// 64:ff9b:1::/48 (RFC 8215) embeds at an operator-chosen length and reaches the operator's own
// network, so it stays refused (ipaddr.js range `rfc6052`).
const NAT64_WELL_KNOWN = ipaddr.parseCIDR('64:ff9b::/96');

/**
 * Why an address is no webhook target (the ipaddr.js range name, `reserved`, `scoped` or `not an
 * IP address`), or null when it is public unicast. ipaddr.js names the special-purpose ranges of
 * RFC 6890 and its updates (loopback, private, linkLocal, uniqueLocal, deprecatedSiteLocal
 * fec0::/10, multicast, broadcast, unspecified 0.0.0.0/8, carrierGradeNat, reserved — which holds
 * 192.0.0.0/24, 198.18.0.0/15, the IPv4 documentation ranges and 240.0.0.0/4 —, discard 100::/64,
 * orchid2, benchmarking, 6to4, teredo, ...); anything but `unicast` is refused. 6to4 (2002::/16,
 * RFC 3056) and Teredo (2001::/32, RFC 4380) are refused whatever IPv4 they embed: they go through
 * relays we cannot judge, and no receiver needs them.
 */
export function refusalOf(address: string): string | null {
  const bare = address.replace(/^\[(.*)\]$/, '$1');
  const family = net.isIP(bare);
  if (!family) return 'not an IP address';
  // A zone id (fe80::1%eth0) only means something for link- and site-local addresses.
  if (bare.includes('%')) return 'scoped';
  // process() turns an IPv4-mapped ::ffff:a.b.c.d (in any spelling) into the IPv4 it reaches.
  let ip = ipaddr.process(family === 6 ? hexTail(bare) : bare);
  if (ip.kind() === 'ipv6' && ip.match(NAT64_WELL_KNOWN)) ip = ipaddr.fromByteArray(ip.toByteArray().slice(12));
  const range = ip.range();
  if (range !== 'unicast') return range;
  return ip.kind() === 'ipv6' && !ip.match(GLOBAL_UNICAST_V6) ? 'reserved' : null;
}

/**
 * ipaddr.js reads any dotted IPv4 tail as IPv4-mapped (`::1.2.3.4` becomes ::ffff:102:304, which
 * would let the IPv4-compatible ::8.8.8.8 pass as 8.8.8.8); RFC 4291 §2.2 makes the tail just the
 * low 32 bits, so spell them in hex first.
 */
function hexTail(v6: string): string {
  return v6.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a, b, c, d) =>
    [Number(a) * 256 + Number(b), Number(c) * 256 + Number(d)].map((n) => n.toString(16)).join(':'),
  );
}

/** Resolves `host` (an IP literal stands for itself) and returns its addresses if all may be reached. */
export async function checkedAddresses(host: string, allowPrivate: boolean, resolve: Resolver): Promise<LookupAddress[]> {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  const family = net.isIP(bare);
  const addresses = family ? [{ address: bare, family }] : await resolve(bare);
  if (!addresses.length) throw new TargetRefusedError(`${bare} has no address`);
  if (allowPrivate) return addresses;
  for (const { address } of addresses) {
    const refusal = refusalOf(address);
    if (refusal) throw refused(bare, address, refusal);
  }
  return addresses;
}

// Wording kept from the first version ("private address"): clients and tests match on it.
function refused(host: string, address: string, refusal: string): TargetRefusedError {
  const what = host === address ? host : `${host} resolves to ${address}, which`;
  return new TargetRefusedError(
    `${what} is a private address (${refusal}); refused (VOUGHT_WEBHOOK_PRIVATE_TARGETS=true allows it in development)`,
  );
}

/** Registration-time check: throws when the URL's host is or resolves to a refused address. */
export async function checkTarget(url: string, allowPrivate: boolean, resolve: Resolver = systemResolver): Promise<void> {
  await checkedAddresses(new URL(url).hostname, allowPrivate, resolve);
}

/**
 * A `lookup` for net/tls.connect that answers only checked addresses. Node asks for one address,
 * or for all of them (`all: true`) when it races IPv4 and IPv6 (autoSelectFamily).
 */
export function checkedLookup(allowPrivate: boolean, resolve: Resolver): net.LookupFunction {
  return (hostname, options, callback) => {
    checkedAddresses(hostname, allowPrivate, resolve).then(
      (addresses) => {
        const wanted = options.family === 4 || options.family === 'IPv4' ? 4 : options.family === 6 || options.family === 'IPv6' ? 6 : 0;
        const usable = wanted ? addresses.filter((a) => a.family === wanted) : addresses;
        const [first] = usable;
        if (!first) callback(Object.assign(new Error(`${hostname} has no IPv${wanted} address`), { code: 'ENOTFOUND' }), '');
        else if (options.all) callback(null, usable);
        else callback(null, first.address, first.family);
      },
      (error: Error) => callback(error, ''),
    );
  };
}

/**
 * The dispatcher webhook deliveries go through: names are resolved once, by `checkedLookup`, and
 * IP-literal hosts (which net.connect never looks up) are checked before connecting.
 */
export function webhookAgent(options: { allowPrivate: boolean; resolve?: Resolver; connectTimeoutMs?: number }): Agent {
  const { allowPrivate, resolve = systemResolver, connectTimeoutMs = 10_000 } = options;
  const connect = buildConnector({ lookup: checkedLookup(allowPrivate, resolve), timeout: connectTimeoutMs });
  return new Agent({
    connect(target, callback) {
      const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
      const refusal = net.isIP(host) && !allowPrivate ? refusalOf(host) : null;
      if (refusal) callback(refused(host, host, refusal), null);
      else connect(target, callback);
    },
  });
}
