import * as ipaddr from 'ipaddr.js';

/**
 * Classification of IP addresses for user-configured outgoing HTTP (fetch-data steps,
 * webhook channels). Anything that is not plainly a public unicast address is "private"
 * and refused unless HERALD_ALLOW_PRIVATE_NETWORKS lists a CIDR containing it (SPEC §6).
 */

export type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

/**
 * Parses CIDRs such as `127.0.0.0/8` or `fd00::/8` (surrounding blanks ignored, empty entries
 * skipped). Throws an Error naming the first entry that is not a valid CIDR.
 */
export function parseCidrList(cidrs: string[]): Cidr[] {
  const parsed: Cidr[] = [];
  for (const raw of cidrs) {
    const cidr = raw.trim();
    if (cidr === '') continue;
    try {
      parsed.push(ipaddr.parseCIDR(cidr));
    } catch {
      throw new Error(`Invalid CIDR "${cidr}" in HERALD_ALLOW_PRIVATE_NETWORKS: expected e.g. 127.0.0.0/8 or fd00::/8`);
    }
  }
  return parsed;
}

/** IPv4 ranges (ipaddr.js range names) that are not public unicast. */
const PRIVATE_V4_RANGES = new Set([
  'unspecified', // 0.0.0.0/8
  'broadcast', // 255.255.255.255
  'multicast', // 224.0.0.0/4
  'linkLocal', // 169.254.0.0/16, incl. the cloud metadata address 169.254.169.254
  'loopback', // 127.0.0.0/8
  'carrierGradeNat', // 100.64.0.0/10
  'private', // 10/8, 172.16/12, 192.168/16
  'reserved', // 192.0.0.0/24, TEST-NETs, 198.18.0.0/15, 240.0.0.0/4
]);

const v6 = (text: string, bits: number): Cidr => [ipaddr.IPv6.parse(text), bits];

/** IPv6 ranges that are refused outright. */
const PRIVATE_V6_CIDRS: Cidr[] = [
  v6('::', 96), // unspecified ::, loopback ::1 and the deprecated IPv4-compatible ::a.b.c.d
  v6('fe80::', 10), // link-local
  v6('fec0::', 10), // deprecated site-local
  v6('fc00::', 7), // unique local
  v6('ff00::', 8), // multicast
  v6('100::', 64), // discard-only
  v6('64:ff9b:1::', 48), // local-use NAT64 (RFC 8215)
  v6('2001::', 23), // IETF protocol assignments, incl. Teredo 2001::/32 and benchmarking
  v6('2001:db8::', 32), // documentation
  v6('3fff::', 20), // documentation
];

/**
 * IPv6 forms that carry an IPv4 address; they are judged as that IPv4 address
 * (a NAT64 gateway or 6to4 relay would forward to it).
 */
function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const bytes = address.toByteArray();
  const tail = (from: number) => new ipaddr.IPv4(bytes.slice(from, from + 4));
  if (address.isIPv4MappedAddress()) return address.toIPv4Address(); // ::ffff:a.b.c.d
  if (address.match(v6('::ffff:0:0:0', 96))) return tail(12); // IPv4-translated (RFC 6145)
  if (address.match(v6('64:ff9b::', 96))) return tail(12); // well-known NAT64 prefix (RFC 6052)
  if (address.match(v6('2002::', 16))) return tail(2); // 6to4 (RFC 3056)
  return undefined;
}

function parseAddress(ip: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  let text = ip.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  if (!ipaddr.isValid(text)) return undefined;
  return ipaddr.parse(text);
}

function isPrivateParsed(address: ipaddr.IPv4 | ipaddr.IPv6): boolean {
  if (address.kind() === 'ipv4') return PRIVATE_V4_RANGES.has(address.range());
  const addr6 = address as ipaddr.IPv6;
  const v4 = embeddedIPv4(addr6);
  if (v4) return PRIVATE_V4_RANGES.has(v4.range());
  return PRIVATE_V6_CIDRS.some((cidr) => addr6.match(cidr));
}

/**
 * True unless `ip` is a public unicast address: loopback, private, link-local, unspecified,
 * carrier-grade NAT, multicast, broadcast, reserved/documentation, unique-local and the like.
 * IPv6 forms embedding an IPv4 address (::ffff:127.0.0.1, 64:ff9b::/96, 2002::/16) are
 * judged as that IPv4 address. A string that is not an IP address counts as private
 * (fail closed).
 */
export function isPrivateAddress(ip: string): boolean {
  const address = parseAddress(ip);
  return address === undefined ? true : isPrivateParsed(address);
}

function inCidr(address: ipaddr.IPv4 | ipaddr.IPv6, [range, bits]: Cidr): boolean {
  return address.kind() === range.kind() && address.match(range, bits);
}

/**
 * True if a connection to `ip` may be made: public addresses always, private ones only when
 * inside one of `allowList`. An IPv6 address embedding an IPv4 one matches an IPv4 CIDR for
 * that address, as well as IPv6 CIDRs for its own form. Non-IP strings are never allowed.
 */
export function isAddressAllowed(ip: string, allowList: Cidr[]): boolean {
  const address = parseAddress(ip);
  if (address === undefined) return false;
  if (!isPrivateParsed(address)) return true;
  const forms: Array<ipaddr.IPv4 | ipaddr.IPv6> = [address];
  if (address.kind() === 'ipv6') {
    const v4 = embeddedIPv4(address as ipaddr.IPv6);
    if (v4) forms.push(v4);
  }
  return allowList.some((cidr) => forms.some((form) => inCidr(form, cidr)));
}
