import type { RdataReader } from './rdata-reader';
import { cds, csync, dnskey, nsec, nsec3, nsec3param, rrsig, zonemd } from './rdata-dnssec';
import { loc, openpgpkey, rp, smimea, spf, uri } from './rdata-misc';
import { svcb } from './rdata-svcb';
import { ValueError, parseIPv4, parseIPv6 } from './values';

/** Parses the presentation-form RDATA of one type into dns-packet's `data` shape. */
export type RdataParser = (r: RdataReader) => unknown;

/** SSHFP fingerprint lengths dns-packet can encode (RFC 4255 SHA-1, RFC 6594 SHA-256). */
const SSHFP_LEN: Record<number, number> = { 1: 20, 2: 32 };
/** DS digest lengths: RFC 3658 SHA-1, RFC 4509 SHA-256, RFC 6605 SHA-384. */
const DS_LEN: Record<number, number> = { 1: 20, 2: 32, 4: 48 };
/** TLSA matching types: RFC 6698 §2.1.3 (1 SHA-256, 2 SHA-512). */
const TLSA_LEN: Record<number, number> = { 1: 32, 2: 64 };

function checkLen(r: RdataReader, table: Record<number, number>, kind: number, data: Buffer, what: string): void {
  const want = table[kind];
  if (want !== undefined && data.length !== want) {
    throw new ValueError(`${r.type} ${what} is ${data.length} octets; type ${kind} needs ${want}`);
  }
}

/**
 * The record types written in their own presentation form: those in dns-packet's `data` shape
 * first, then those encoded to RDATA octets here (rdata-dnssec.ts, rdata-misc.ts,
 * rdata-svcb.ts). Every other type is accepted in RFC 3597 generic form (see generic.ts).
 */
export const RDATA: Record<string, RdataParser> = {
  A: (r) => r.field('IPv4 address', (s) => parseIPv4(s)),
  AAAA: (r) => r.field('IPv6 address', (s) => parseIPv6(s)),
  NS: (r) => r.name('name server (NSDNAME)'),
  CNAME: (r) => r.name('canonical name'),
  PTR: (r) => r.name('domain name (PTRDNAME)'),
  DNAME: (r) => r.name('target name'),
  MX: (r) => ({ preference: r.uint('preference', 16), exchange: r.name('exchange') }),
  SOA: (r) => ({
    mname: r.name('primary name server (MNAME)'),
    rname: r.mailbox('mailbox (RNAME)'),
    serial: r.uint('serial', 32),
    refresh: r.duration('refresh'),
    retry: r.duration('retry'),
    expire: r.duration('expire'),
    minimum: r.duration('minimum'),
  }),
  TXT: (r) => {
    const out = [r.charString('character-string')];
    while (r.more()) out.push(r.charString('character-string'));
    return out;
  },
  SRV: (r) => ({
    priority: r.uint('priority', 16),
    weight: r.uint('weight', 16),
    port: r.uint('port', 16),
    target: r.plainName('target'),
  }),
  CAA: (r) => {
    const flags = r.uint('flags', 8);
    // RFC 8659 §4.1.1: the tag is 1-15 ASCII letters and digits.
    const tag = r.field('tag', (s) => {
      if (!/^[a-zA-Z0-9]{1,15}$/.test(s)) throw new ValueError(`invalid CAA tag '${s}' (1-15 letters and digits)`);
      return s;
    });
    return { flags, tag, value: r.text('value', 65535) };
  },
  HINFO: (r) => ({ cpu: r.text('CPU'), os: r.text('OS') }),
  NAPTR: (r) => ({
    order: r.uint('order', 16),
    preference: r.uint('preference', 16),
    flags: r.text('flags'),
    services: r.text('services'),
    regexp: r.text('regexp'),
    replacement: r.plainName('replacement'),
  }),
  SSHFP: (r) => {
    const algorithm = r.uint('algorithm', 8);
    const hashTok = r.next('fingerprint type');
    const hash = r.at(hashTok, () => {
      const h = Number(hashTok.text);
      if (!/^\d+$/.test(hashTok.text) || SSHFP_LEN[h] === undefined) {
        throw new ValueError(`SSHFP fingerprint type '${hashTok.text}' is not supported (1 = SHA-1, 2 = SHA-256)`);
      }
      return h;
    });
    const fpTok = r.peek() ?? hashTok;
    const fp = r.hexRest('fingerprint');
    if (fp.length !== SSHFP_LEN[hash]) {
      throw r.errorAt(fpTok, `SSHFP fingerprint is ${fp.length} octets; type ${hash} needs ${SSHFP_LEN[hash]}`);
    }
    return { algorithm, hash, fingerprint: fp.toString('hex').toUpperCase() };
  },
  TLSA: (r) => {
    const usage = r.uint('certificate usage', 8);
    const selector = r.uint('selector', 8);
    const mt = r.next('matching type');
    const matchingType = Number(mt.text);
    if (!/^\d+$/.test(mt.text) || matchingType > 255) {
      throw r.errorAt(mt, `invalid matching type '${mt.text}' (expected an integer 0-255)`);
    }
    const certTok = r.peek() ?? mt;
    const certificate = r.hexRest('certificate association data');
    r.at(certTok, () => checkLen(r, TLSA_LEN, matchingType, certificate, 'certificate association data'));
    return { usage, selector, matchingType, certificate };
  },
  DS: (r) => {
    const keyTag = r.uint('key tag', 16);
    const algorithm = r.uint('algorithm', 8);
    const dt = r.next('digest type');
    const digestType = Number(dt.text);
    if (!/^\d+$/.test(dt.text) || digestType > 255) {
      throw r.errorAt(dt, `invalid digest type '${dt.text}' (expected an integer 0-255)`);
    }
    const digestTok = r.peek() ?? dt;
    const digest = r.hexRest('digest');
    r.at(digestTok, () => checkLen(r, DS_LEN, digestType, digest, 'digest'));
    return { keyTag, algorithm, digestType, digest };
  },
  SPF: spf,
  LOC: loc,
  RP: rp,
  URI: uri,
  SMIMEA: smimea,
  OPENPGPKEY: openpgpkey,
  DNSKEY: dnskey,
  CDNSKEY: dnskey,
  CDS: cds,
  RRSIG: rrsig,
  NSEC: nsec,
  NSEC3: nsec3,
  NSEC3PARAM: nsec3param,
  ZONEMD: zonemd,
  CSYNC: csync,
  SVCB: svcb,
  HTTPS: svcb,
};
