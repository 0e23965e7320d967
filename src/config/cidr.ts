/**
 * CIDR and address arithmetic on top of `ip-address` (bigint offsets, IPv4 and IPv6).
 * Everything here is pure; parse failures come back as a reason string, never a throw.
 */
import { Address4, Address6 } from 'ip-address';

export type Family = 4 | 6;

export interface Cidr {
  /** The text as the operator wrote it. */
  text: string;
  family: Family;
  prefix: number;
  /** First address of the network, as a bigint. */
  start: bigint;
  /** Last address of the network, as a bigint. */
  end: bigint;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const V4_OCTETS = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function parseAddress(text: string): Parsed<Address4 | Address6> {
  if (text.includes(':')) {
    if (!Address6.isValid(text)) return { ok: false, reason: `"${text}" is not an IPv6 address` };
    return { ok: true, value: new Address6(text) };
  }
  const m = V4_OCTETS.exec(text);
  if (!m) return { ok: false, reason: `"${text}" is not an IPv4 address` };
  for (const octet of m.slice(1)) {
    // ipaddr.js and friends read 010 as octal; we refuse the ambiguity outright.
    if (octet.length > 1 && octet.startsWith('0'))
      return { ok: false, reason: `"${text}" has a leading zero in an octet (ambiguous: octal or decimal?)` };
    if (Number(octet) > 255) return { ok: false, reason: `"${text}" has an octet above 255` };
  }
  return { ok: true, value: new Address4(text) };
}

/** Parses a single IP address (no prefix). */
export function parseIp(
  text: string,
  opts: { allowV6?: boolean } = {},
): Parsed<{ family: Family; value: bigint }> {
  if (text.includes('/')) return { ok: false, reason: `"${text}" is a CIDR, expected a single address` };
  const a = parseAddress(text);
  if (!a.ok) return a;
  const family: Family = a.value instanceof Address4 ? 4 : 6;
  if (family === 6 && !opts.allowV6)
    return { ok: false, reason: `"${text}" is IPv6; this option takes IPv4` };
  return { ok: true, value: { family, value: a.value.bigInt() } };
}

/** RFC 1123 host name, as Pharos accepted for host addresses. */
const HOSTNAME =
  /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/**
 * An IP address (IPv4 or IPv6) or an RFC 1123 host name. What looks like an address (digits and
 * dots, or a colon) must parse as one, with the parser's reason when it does not (`reason`);
 * anything else must be a host name (no `reason`: it is neither).
 */
export function checkAddressOrHostname(value: string): { ok: true } | { ok: false; reason?: string } {
  if (/^[\d.]+$/.test(value) || value.includes(':')) {
    const parsed = parseIp(value, { allowV6: true });
    return parsed.ok ? { ok: true } : { ok: false, reason: parsed.reason };
  }
  return HOSTNAME.test(value) ? { ok: true } : { ok: false };
}

/** Parses `a.b.c.d/n` (or IPv6 when allowed) and insists that no host bits are set. */
export function parseCidr(text: string, opts: { allowV6?: boolean } = {}): Parsed<Cidr> {
  const slash = text.indexOf('/');
  if (slash < 0) return { ok: false, reason: `"${text}" has no prefix length (write it as ${text}/NN)` };
  const addrText = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  const a = parseAddress(addrText);
  if (!a.ok) return a;
  const family: Family = a.value instanceof Address4 ? 4 : 6;
  if (family === 6 && !opts.allowV6)
    return { ok: false, reason: `"${text}" is IPv6; this option takes IPv4` };
  const bits = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits)
    return { ok: false, reason: `"${text}" has an invalid prefix length (0..${bits})` };
  const prefix = Number(prefixText);
  const value = a.value.bigInt();
  const size = 1n << BigInt(bits - prefix);
  const start = (value / size) * size;
  if (start !== value) {
    const network = formatAddress(family, start);
    return { ok: false, reason: `"${text}" has host bits set (the network is ${network}/${prefix})` };
  }
  return { ok: true, value: { text, family, prefix, start, end: start + size - 1n } };
}

export function formatAddress(family: Family, value: bigint): string {
  return family === 4 ? Address4.fromBigInt(value).address : Address6.fromBigInt(value).correctForm();
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && a.start <= b.end && b.start <= a.end;
}

/** True when `inner` lies entirely inside `outer`. */
export function contains(outer: Cidr, inner: Cidr): boolean {
  return outer.family === inner.family && outer.start <= inner.start && inner.end <= outer.end;
}

export function containsAddress(outer: Cidr, family: Family, address: bigint): boolean {
  return outer.family === family && outer.start <= address && address <= outer.end;
}

/** The address `offset` places after the network address (e.g. 10 gives the cluster DNS IP). */
export function nthAddress(cidr: Cidr, offset: number): string {
  const value = cidr.start + BigInt(offset);
  if (value > cidr.end) throw new RangeError(`${cidr.text} has no address at offset ${offset}`);
  return formatAddress(cidr.family, value);
}

export function addressCount(cidr: Cidr): bigint {
  return cidr.end - cidr.start + 1n;
}

/** How many /`nodePrefix` node ranges fit in the pod network (kube-controller-manager's default is /24). */
export function nodeSubnets(cidr: Cidr, nodePrefix = cidr.family === 4 ? 24 : 64): bigint {
  if (nodePrefix < cidr.prefix) return 0n;
  return 1n << BigInt(nodePrefix - cidr.prefix);
}

/** Parses a CIDR the caller already validated; throws on bad input (programming error). */
export function mustParseCidr(text: string): Cidr {
  const parsed = parseCidr(text, { allowV6: true });
  if (!parsed.ok) throw new Error(`internal: unvalidated CIDR ${text}: ${parsed.reason}`);
  return parsed.value;
}
