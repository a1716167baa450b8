// IP address fields as the API server judges them (hostAliases[].ip,
// dnsConfig.nameservers[]): Kubernetes' IsValidIPForLegacyField with strict
// validation (the StrictIPCIDRValidation gate, on by default). A value must
// parse as Go's net.ParseIP parses it, leniently about leading zeros in IPv4
// octets (k8s.io/utils/net ParseIPSloppy), and then strictly: no such zeros
// (most libc parsers read them as octal) and no IPv4-mapped IPv6 address.
// Node's isIP differs both ways: it accepts an IPv6 zone ("fe80::1%eth0"),
// which Go refuses, and it refuses leading zeros outright.
import { isIP } from 'node:net';

/** Why `value` is not a valid IP address for such a field, or null. */
export function ipAddressProblem(value: string): string | null {
  // Go's net.ParseIP takes no zone and no brackets
  if (value.includes('%')) return 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';
  const family = isIP(value);
  if (family === 4) return null;
  if (family === 6) return isIPv4Mapped(value) ? 'must not be an IPv4-mapped IPv6 address' : null;
  const unpadded = withoutLeadingZeros(value);
  if (unpadded !== null && isIP(unpadded) !== 0) {
    return isIP(unpadded) === 6 && isIPv4Mapped(unpadded)
      ? 'must not have leading 0s; must not be an IPv4-mapped IPv6 address'
      : 'must not have leading 0s';
  }
  return 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';
}

/**
 * The value with leading zeros dropped from the octets of its dotted IPv4
 * part (all of it, or the tail of an IPv6 address), where there are such
 * octets, each still at most 255; else null.
 */
function withoutLeadingZeros(value: string): string | null {
  const m = /^(.*:)?(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(value);
  if (m === null) return null;
  const octets = m.slice(2, 6);
  if (!octets.some((o) => o.length > 1 && o.startsWith('0'))) return null;
  const numbers = octets.map((o) => Number(o));
  if (numbers.some((n) => n > 255)) return null;
  return `${m[1] ?? ''}${numbers.join('.')}`;
}

/** ::ffff:a.b.c.d in any spelling: the WHATWG URL parser writes an IPv6 host in canonical form. */
function isIPv4Mapped(ipv6: string): boolean {
  const canonical = new URL(`http://[${ipv6}]/`).hostname;
  return /^\[::ffff:[0-9a-f]{1,4}:[0-9a-f]{1,4}\]$/.test(canonical);
}
