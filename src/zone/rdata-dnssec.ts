/**
 * Presentation parsers of the DNSSEC record types (RFC 4034, RFC 5155, RFC 7344, RFC 7477,
 * RFC 8976), producing the RDATA octets (kind `raw` in src/rrtype). A signer writes these into
 * zones; anypick serves them as data (it does not sign or validate).
 */
import { rrTypeByText } from '../rrtype/registry';
import { RdataBuilder, typeBitmap } from '../rrtype/wire';
import type { RdataReader } from './rdata-reader';
import { ValueError, parseBase32Hex, parseHex } from './values';

/** DNSSEC algorithm mnemonics (IANA "DNS Security Algorithm Numbers"), accepted like numbers. */
const ALGORITHMS: Record<string, number> = {
  RSAMD5: 1, DH: 2, DSA: 3, RSASHA1: 5, 'DSA-NSEC3-SHA1': 6, 'RSASHA1-NSEC3-SHA1': 7, RSASHA256: 8,
  RSASHA512: 10, 'ECC-GOST': 12, ECDSAP256SHA256: 13, ECDSAP384SHA384: 14, ED25519: 15, ED448: 16,
  INDIRECT: 252, PRIVATEDNS: 253, PRIVATEOID: 254,
};

/** An algorithm number or mnemonic. */
export function algorithm(r: RdataReader): number {
  const t = r.peek();
  const known = t ? ALGORITHMS[t.text.toUpperCase()] : undefined;
  if (known !== undefined) {
    r.next('algorithm');
    return known;
  }
  return r.uint('algorithm', 8);
}

/** A type mnemonic or TYPEnnn (RRSIG type covered, NSEC/NSEC3/CSYNC bitmaps). */
function typeCode(r: RdataReader, what: string): number {
  return r.field(what, (s) => {
    const t = rrTypeByText(s);
    if (!t) throw new ValueError(`unknown record type '${s}' in the ${what}`);
    return t.code;
  });
}

/** The remaining tokens as a type bitmap (RFC 4034 §4.1.2); may be empty. */
function bitmap(r: RdataReader): Buffer {
  const codes: number[] = [];
  while (r.more()) codes.push(typeCode(r, 'type bitmap'));
  return typeBitmap(codes);
}

/** RFC 4034 §3.2: YYYYMMDDHHmmSS (UTC, serial arithmetic mod 2^32) or seconds since the epoch. */
function sigTime(r: RdataReader, what: string): number {
  return r.field(what, (s) => {
    if (/^\d{14}$/.test(s)) {
      const [y, mo, d, h, mi, se] = [s.slice(0, 4), s.slice(4, 6), s.slice(6, 8), s.slice(8, 10), s.slice(10, 12), s.slice(12, 14)].map(Number) as number[];
      const ms = Date.UTC(y as number, (mo as number) - 1, d, h, mi, se);
      const back = new Date(ms);
      if (back.getUTCMonth() !== (mo as number) - 1 || back.getUTCDate() !== d || (h as number) > 23 || (mi as number) > 59 || (se as number) > 59) {
        throw new ValueError(`invalid RRSIG ${what} '${s}' (YYYYMMDDHHmmSS)`);
      }
      return (ms / 1000) % 2 ** 32;
    }
    if (/^\d{1,10}$/.test(s) && Number(s) < 2 ** 32) return Number(s);
    throw new ValueError(`invalid RRSIG ${what} '${s}' (YYYYMMDDHHmmSS or seconds)`);
  });
}

/** RFC 5155 §3.3: salt is `-` (empty) or hex, at most 255 octets. */
function salt(r: RdataReader): Buffer {
  return r.field('salt', (s) => {
    if (s === '-') return Buffer.alloc(0);
    const b = parseHex(s, 'salt');
    if (b.length > 255) throw new ValueError(`salt is ${b.length} octets; the limit is 255 (RFC 5155 §3.1.5)`);
    return b;
  });
}

/** DNSKEY and CDNSKEY (RFC 4034 §2.2, RFC 7344 §3.2): flags protocol algorithm key. */
export function dnskey(r: RdataReader): Buffer {
  const b = new RdataBuilder().u16(r.uint('flags', 16));
  const protoTok = r.peek();
  const protocol = r.uint('protocol', 8);
  // RFC 4034 §2.1.2: the protocol field MUST be 3.
  if (protocol !== 3 && protoTok) throw r.errorAt(protoTok, `DNSKEY protocol ${protocol} must be 3 (RFC 4034 §2.1.2)`);
  return b.u8(protocol).u8(algorithm(r)).bytes(r.base64Rest('public key')).done();
}

/** DS-shaped RDATA for CDS (RFC 7344 §3.1): key tag, algorithm, digest type, hex digest. */
export function cds(r: RdataReader): Buffer {
  const b = new RdataBuilder().u16(r.uint('key tag', 16)).u8(algorithm(r)).u8(r.uint('digest type', 8));
  return b.bytes(r.hexRest('digest')).done();
}

/** RRSIG (RFC 4034 §3.2). */
export function rrsig(r: RdataReader): Buffer {
  const covered = typeCode(r, 'type covered');
  const b = new RdataBuilder().u16(covered).u8(algorithm(r)).u8(r.uint('labels', 8)).u32(r.uint('original TTL', 32));
  b.u32(sigTime(r, 'expiration')).u32(sigTime(r, 'inception')).u16(r.uint('key tag', 16));
  return b.name(r.name('signer name')).bytes(r.base64Rest('signature')).done();
}

/** NSEC (RFC 4034 §4.2): next owner name, type bitmap. */
export function nsec(r: RdataReader): Buffer {
  return new RdataBuilder().name(r.name('next domain name')).bytes(bitmap(r)).done();
}

/** NSEC3 (RFC 5155 §3.3). */
export function nsec3(r: RdataReader): Buffer {
  const b = new RdataBuilder().u8(r.uint('hash algorithm', 8)).u8(r.uint('flags', 8)).u16(r.uint('iterations', 16));
  const s = salt(r);
  b.u8(s.length).bytes(s);
  const next = r.field('next hashed owner name', (t) => parseBase32Hex(t, 'next hashed owner name'));
  if (next.length === 0) throw new ValueError('NSEC3 next hashed owner name is empty');
  return b.u8(next.length).bytes(next).bytes(bitmap(r)).done();
}

/** NSEC3PARAM (RFC 5155 §4.3). */
export function nsec3param(r: RdataReader): Buffer {
  const b = new RdataBuilder().u8(r.uint('hash algorithm', 8)).u8(r.uint('flags', 8)).u16(r.uint('iterations', 16));
  const s = salt(r);
  return b.u8(s.length).bytes(s).done();
}

/** ZONEMD (RFC 8976 §3): serial, scheme, hash algorithm, digest (≥ 12 octets, §2.2.4). */
export function zonemd(r: RdataReader): Buffer {
  const b = new RdataBuilder().u32(r.uint('serial', 32)).u8(r.uint('scheme', 8));
  const hashTok = r.peek();
  const hash = r.uint('hash algorithm', 8);
  const digestTok = r.peek() ?? hashTok;
  const digest = r.hexRest('digest');
  const want: Record<number, number> = { 1: 48, 2: 64 };
  if (digest.length < 12) throw r.errorAt(digestTok!, `ZONEMD digest is ${digest.length} octets; at least 12 (RFC 8976 §2.2.4)`);
  if (want[hash] !== undefined && digest.length !== want[hash]) {
    throw r.errorAt(digestTok!, `ZONEMD digest is ${digest.length} octets; hash algorithm ${hash} needs ${want[hash]}`);
  }
  return b.u8(hash).bytes(digest).done();
}

/** CSYNC (RFC 7477 §2.1): SOA serial, flags, type bitmap. */
export function csync(r: RdataReader): Buffer {
  return new RdataBuilder().u32(r.uint('SOA serial', 32)).u16(r.uint('flags', 16)).bytes(bitmap(r)).done();
}
