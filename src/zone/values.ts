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
