/**
 * The one table of DNS resource-record types (IANA "Resource Record (RR) TYPEs"): code ↔
 * mnemonic, and how the RDATA of each type is carried in a zone record. The zone parser, the
 * store, the reply writer, the engine, `check`, `explain` and the metrics all name types through
 * it, so a type written `TYPE65` in a zone file and asked as QTYPE 65 is the same `HTTPS`.
 * Pure: no networking, no configuration.
 */

/**
 * How a record's `data` is held:
 * - `packet`: the shape dns-packet encodes (`'192.0.2.1'`, `{ preference, exchange }`, …);
 *   the types whose names the server reads (NS, CNAME, DNAME, MX, SRV, SOA) are all of this kind;
 * - `raw`: a Buffer with the RDATA octets, encoded from presentation form by this project's own
 *   codecs (src/zone/rdata-*.ts) or taken as is from RFC 3597 generic form. Never compressed
 *   (RFC 3597 §4: only the RFC 1035 types may be).
 */
export type RdataKind = 'packet' | 'raw';

/** One registered type. */
export interface RrType {
  code: number;
  name: string;
  kind: RdataKind;
}

/** IANA codes of the types known by name (RFC 6895 §3.1 ranges; meta types included for QTYPEs). */
const CODES: Record<string, number> = {
  A: 1, NS: 2, MD: 3, MF: 4, CNAME: 5, SOA: 6, MB: 7, MG: 8, MR: 9, NULL: 10, WKS: 11, PTR: 12,
  HINFO: 13, MINFO: 14, MX: 15, TXT: 16, RP: 17, AFSDB: 18, X25: 19, ISDN: 20, RT: 21, NSAP: 22,
  'NSAP-PTR': 23, SIG: 24, KEY: 25, PX: 26, GPOS: 27, AAAA: 28, LOC: 29, NXT: 30, EID: 31,
  NIMLOC: 32, SRV: 33, ATMA: 34, NAPTR: 35, KX: 36, CERT: 37, A6: 38, DNAME: 39, SINK: 40,
  OPT: 41, APL: 42, DS: 43, SSHFP: 44, IPSECKEY: 45, RRSIG: 46, NSEC: 47, DNSKEY: 48, DHCID: 49,
  NSEC3: 50, NSEC3PARAM: 51, TLSA: 52, SMIMEA: 53, HIP: 55, NINFO: 56, RKEY: 57, TALINK: 58,
  CDS: 59, CDNSKEY: 60, OPENPGPKEY: 61, CSYNC: 62, ZONEMD: 63, SVCB: 64, HTTPS: 65, DSYNC: 66,
  SPF: 99, UINFO: 100, UID: 101, GID: 102, UNSPEC: 103, NID: 104, L32: 105, L64: 106, LP: 107,
  EUI48: 108, EUI64: 109, TKEY: 249, TSIG: 250, IXFR: 251, AXFR: 252, MAILB: 253, MAILA: 254,
  ANY: 255, URI: 256, CAA: 257, AVC: 258, DOA: 259, AMTRELAY: 260, RESINFO: 261, WALLET: 262,
  TA: 32768, DLV: 32769,
};

/** Types whose `data` is in dns-packet's shape (see {@link RdataKind}). */
const PACKET_TYPES = new Set([
  'A', 'AAAA', 'NS', 'CNAME', 'PTR', 'DNAME', 'MX', 'SOA', 'TXT', 'SRV', 'CAA', 'HINFO', 'NAPTR', 'SSHFP', 'TLSA', 'DS',
]);

const byName = new Map<string, RrType>();
const byCode = new Map<number, RrType>();
for (const [name, code] of Object.entries(CODES)) {
  const t: RrType = { code, name, kind: PACKET_TYPES.has(name) ? 'packet' : 'raw' };
  byName.set(name, t);
  byCode.set(code, t);
}

/** A type by code: the registered one, or the RFC 3597 §5 `TYPE<n>` form (kind raw). */
export function rrTypeByCode(code: number): RrType {
  const t = byCode.get(code);
  if (t) return t;
  const generic: RrType = { code, name: `TYPE${code}`, kind: 'raw' };
  return generic;
}

/**
 * A type by its presentation token, case-insensitively: a mnemonic (`AAAA`, `https`) or
 * `TYPE<n>` (RFC 3597 §5, 0-65535; `TYPE1` is `A`). Undefined when it is not a type.
 */
export function rrTypeByText(text: string): RrType | undefined {
  const up = text.toUpperCase();
  const m = /^TYPE(\d{1,5})$/.exec(up);
  if (m) {
    const code = Number(m[1]);
    return code <= 65535 ? rrTypeByCode(code) : undefined;
  }
  return byName.get(up);
}

const nameCache: string[] = [];
/** The mnemonic of a code, `TYPE<n>` when it has none (for logs, lookups and presentation). */
export function rrTypeName(code: number): string {
  let n = nameCache[code];
  if (n === undefined) nameCache[code] = n = rrTypeByCode(code).name;
  return n;
}

const codeCache = new Map<string, number>();
/** The code of a type name as the registry spells it (`HTTPS`, `TYPE65280`); -1 if none. */
export function rrTypeCode(name: string): number {
  let c = codeCache.get(name);
  if (c === undefined) {
    c = rrTypeByText(name)?.code ?? -1;
    codeCache.set(name, c);
  }
  return c;
}

/**
 * A bounded metric label for a QTYPE: its mnemonic when registered, else `other`. QTYPEs come
 * from untrusted queries; one label per code would let a client mint 65,536 series.
 */
export function rrTypeMetricLabel(code: number): string {
  return byCode.get(code)?.name ?? 'other';
}

/** RFC 6895 §3.1: 0 is reserved, OPT (41) and 128-255 are meta/query types, never in a zone. */
export function isMetaType(code: number): boolean {
  return code === 0 || code === 41 || (code >= 128 && code <= 255);
}
