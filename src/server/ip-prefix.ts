import { isIP } from 'node:net';
import { formatIpv6, ipv6ToBytes } from '../protocol/ip-address.js';

/**
 * IP addresses and prefixes (CIDR) for client matching, IPv4 and IPv6. IPv4-mapped IPv6
 * addresses (`::ffff:192.0.2.1`, what a dual-stack socket reports) are treated as IPv4.
 */

/** A network: family, address bytes with host bits cleared, and prefix length. */
export interface IpPrefix {
  family: 4 | 6;
  /** 4 or 16 octets, host bits zero. */
  bytes: Buffer;
  bits: number;
}

/** Address bytes of an IP literal (IPv4-mapped IPv6 becomes IPv4), or undefined if not an IP. */
export function parseIp(text: string): { family: 4 | 6; bytes: Buffer } | undefined {
  const kind = isIP(text);
  if (kind === 4) return { family: 4, bytes: ipv4Bytes(text) };
  if (kind !== 6) return undefined;
  const zone = text.indexOf('%');
  const bytes = ipv6ToBytes(zone >= 0 ? text.slice(0, zone) : text);
  if (!bytes) return undefined;
  if (isV4Mapped(bytes)) return { family: 4, bytes: Buffer.from(bytes.subarray(12)) };
  return { family: 6, bytes };
}

/**
 * Parses `IP` or `IP/bits` (host bits are masked, as FreeRADIUS does). Throws an Error whose
 * message says what is wrong; host names are rejected because nothing is resolved at load.
 */
export function parsePrefix(text: string): IpPrefix {
  const slash = text.indexOf('/');
  const addr = slash >= 0 ? text.slice(0, slash) : text;
  const ip = parseIp(addr);
  if (!ip) {
    if (/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(addr) && /[A-Za-z]/.test(addr)) {
      throw new Error(`"${addr}" is a host name; host names are not resolved: write the IP address instead (e.g. from \`getent hosts ${addr}\`)`);
    }
    throw new Error(`"${addr}" is not an IPv4 or IPv6 address`);
  }
  const max = ip.family === 4 ? 32 : 128;
  let bits = max;
  if (slash >= 0) {
    const m = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(m) || Number(m) > max) throw new Error(`"/${m}" is not a prefix length 0..${max}`);
    bits = Number(m);
    // a mapped address written with an IPv6 prefix length keeps its meaning within the IPv4 part
    if (isIP(addr) === 6 && ip.family === 4) bits = Math.max(0, bits - 96);
  }
  return { family: ip.family, bytes: maskBytes(ip.bytes, bits), bits };
}

/** True when `address` (any textual form, incl. IPv4-mapped IPv6) lies inside `prefix`. */
export function prefixContains(prefix: IpPrefix, address: string): boolean {
  const ip = parseIp(address);
  return ip !== undefined && ip.family === prefix.family && maskBytes(ip.bytes, prefix.bits).equals(prefix.bytes);
}

/** `a.b.c.d/n` or `x::/n` in canonical form. */
export function formatPrefix(p: IpPrefix): string {
  return `${formatIp(p.family, p.bytes)}/${p.bits}`;
}

/** Canonical text of an address (RFC 5952 for IPv6, as inet_ntop prints it). */
export function formatIp(family: 4 | 6, bytes: Buffer): string {
  if (family === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  return formatIpv6(bytes);
}

/** Clears the bits after `bits`. */
export function maskBytes(bytes: Buffer, bits: number): Buffer {
  const out = Buffer.from(bytes);
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    out[i] = out[i]! & (keep === 0 ? 0 : (0xff << (8 - keep)) & 0xff);
  }
  return out;
}

function ipv4Bytes(text: string): Buffer {
  return Buffer.from(text.split('.').map(Number));
}

function isV4Mapped(b: Buffer): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}
