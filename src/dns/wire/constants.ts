/** DNS wire constants used by the fast path (RFC 1035 §4.1, RFC 6891, RFC 7871). */

/** RCODE values (RFC 1035 §4.1.1, RFC 6891 §9 for BADVERS). */
export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  /** RFC 6672 §2.2: a DNAME substitution would overflow the name length. */
  YXDOMAIN: 6,
  /** Extended RCODE 16: upper 8 bits live in the OPT TTL (RFC 6891 §6.1.3). */
  BADVERS: 16,
  /** RFC 7873 §8: extended RCODE 23, a COOKIE with a fresh server cookie to retry with. */
  BADCOOKIE: 23,
} as const;

/** Mnemonics for counters and logs. */
export const RCODE_NAMES: Record<number, string> = {
  0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED', 6: 'YXDOMAIN', 16: 'BADVERS', 23: 'BADCOOKIE',
};

/** Header flag bits in the 16-bit flags word (RFC 1035 §4.1.1). */
export const FLAG = {
  QR: 0x8000,
  AA: 0x0400,
  TC: 0x0200,
  RD: 0x0100,
  RA: 0x0080,
  CD: 0x0010,
} as const;

/** Type codes the fast path needs by number. */
export const TYPE = { OPT: 41 } as const;

/** EDNS option codes (RFC 5001 §2.3 NSID, RFC 7871 §6 ECS, RFC 7873 §4 COOKIE, RFC 7828 §3.1 keepalive). */
export const OPTION = { NSID: 3, ECS: 8, COOKIE: 10, TCP_KEEPALIVE: 11 } as const;

/** Class IN. */
export const CLASS_IN = 1;

/** Size of the fixed DNS header. */
export const HEADER_SIZE = 12;
