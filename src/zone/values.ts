import { canonicalAddress, isIpAddress } from '../util/ip';

/** A value in a master file that is malformed or out of range. */
export class ValueError extends Error {
  override readonly name = 'ValueError';
  readonly code = 'E_ZONE_VALUE';
}

/** RFC 2181 §8: a TTL is an unsigned 31-bit value. */
export const MAX_TTL = 2 ** 31 - 1;

const UNIT: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/**
 * Parses a duration as BIND writes it: plain seconds (`3600`) or number-unit pairs
 * (`1h30m`, `1W`, `2d12h`; units s, m, h, d, w, any case). `max` bounds the result.
 */
export function parseDuration(text: string, what: string, max: number): number {
  let total: number;
  if (/^\d+$/.test(text)) {
    total = Number(text);
  } else if (/^(\d+[smhdwSMHDW])+$/.test(text)) {
    total = 0;
    for (const m of text.matchAll(/(\d+)([a-zA-Z])/g)) {
      total += Number(m[1]) * (UNIT[(m[2] as string).toLowerCase()] as number);
    }
  } else {
    throw new ValueError(`invalid ${what} '${text}' (expected seconds or units like 1h30m, 1d, 1w)`);
  }
  if (total > max) {
    const why = max === MAX_TTL ? ' (RFC 2181 §8)' : '';
    const value = String(total) === text ? text : `'${text}' (${total} seconds)`;
    throw new ValueError(`${what} ${value} exceeds the limit ${max}${why}`);
  }
  return total;
}

/** True when a token looks like a TTL (starts with a digit), as opposed to a class or type. */
export function looksLikeTtl(text: string): boolean {
  return /^\d/.test(text);
}

/** Parses an unsigned decimal integer of `bits` bits (8, 16 or 32). */
export function parseUint(text: string, what: string, bits: 8 | 16 | 32): number {
  const max = 2 ** bits - 1;
  if (!/^\d+$/.test(text)) throw new ValueError(`invalid ${what} '${text}' (expected an integer 0-${max})`);
  const v = Number(text);
  if (v > max) throw new ValueError(`${what} ${text} is out of range (0-${max})`);
  return v;
}

/** Parses a dotted-quad IPv4 address (no leading zeros, which some parsers read as octal; src/util/ip.ts). */
export function parseIPv4(text: string): string {
  if (isIpAddress(text) !== 4) throw new ValueError(`invalid IPv4 address '${text}'`);
  return text;
}

/** Parses an IPv6 address and returns its RFC 5952 canonical text (src/util/ip.ts). */
export function parseIPv6(text: string): string {
  if (isIpAddress(text) !== 6) throw new ValueError(`invalid IPv6 address '${text}'`);
  return canonicalAddress(text);
}

/** Parses hexadecimal digits (whitespace already removed) into octets. */
export function parseHex(text: string, what: string): Buffer {
  if (!/^[0-9a-fA-F]*$/.test(text) || text.length % 2 !== 0) {
    throw new ValueError(`invalid ${what} '${text}' (expected an even number of hex digits)`);
  }
  return Buffer.from(text, 'hex');
}

/** Parses base64 (RFC 4648 §4, padding required as in BIND and Knot) into octets. */
export function parseBase64(text: string, what: string): Buffer {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new ValueError(`invalid ${what} '${text.length > 40 ? text.slice(0, 40) + '…' : text}' (expected base64)`);
  }
  return Buffer.from(text, 'base64');
}

const B32HEX = '0123456789abcdefghijklmnopqrstuv';

/** Parses base32hex without padding (RFC 4648 §7, as NSEC3 writes hashed owner names). */
export function parseBase32Hex(text: string, what: string): Buffer {
  const s = text.toLowerCase();
  if (!/^[0-9a-v]*$/.test(s) || [1, 3, 6].includes(s.length % 8)) throw new ValueError(`invalid ${what} '${text}' (expected base32hex)`);
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const c of s) {
    acc = (acc << 5) | B32HEX.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) throw new ValueError(`invalid ${what} '${text}' (non-zero padding bits)`);
  return Buffer.from(out);
}
