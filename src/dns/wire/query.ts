/**
 * The fast-path query parser: reads the header, the single question and the OPT record of a
 * DNS query straight from the bytes, without building a full message object. It decides the
 * RFC-mandated outcome for bad input: drop (unreadable), FORMERR, NOTIMP or BADVERS.
 * Pure: no networking, no configuration.
 */
import { CLASS_IN, FLAG, HEADER_SIZE, OPTION, RCODE, TYPE } from './constants';
import { decodeEcs } from './ecs';
import type { EcsOption } from './ecs';

/** EDNS(0) data of a query (RFC 6891 §6.1.3). */
export interface EdnsInfo {
  /** Requestor's UDP payload size as sent. */
  udpSize: number;
  version: number;
  dnssecOk: boolean;
  ecs?: EcsOption;
  /** The query carried an NSID option (RFC 5001 §2.1). */
  nsid?: boolean;
  /** Offset and length of the COOKIE option data (RFC 7873 §4): 8 or 16..40 bytes. */
  cookieAt?: number;
  cookieLen?: number;
  /** The query carried edns-tcp-keepalive (RFC 7828 §3.2.1). */
  keepalive?: boolean;
}

/** A readable, well-formed query. */
export interface ParsedQuery {
  id: number;
  /** The raw 16-bit flags word. */
  flags: number;
  /** End offset of the question name (it starts at 12). */
  qnameEnd: number;
  /** Lower-cased wire-format question name as a latin1 string: the cache and lookup key. */
  key: string;
  qtype: number;
  qclass: number;
  edns?: EdnsInfo;
}

/** What to do with a datagram or TCP message. */
export type ParseOutcome =
  | { kind: 'query'; query: ParsedQuery }
  | { kind: 'drop'; reason: string }
  | { kind: 'error'; rcode: number; id: number; flags: number; reason: string; query?: ParsedQuery; edns?: EdnsInfo };

class Malformed extends Error {
  readonly code = 'E_DNS_FORMERR';
}

/** Node's native latin1 slice (what `toString('latin1', …)` calls, without argument checks). */
export type LatinSlicer = Buffer & { latin1Slice(start: number, end: number): string };

/**
 * The lookup key of the question name: its wire bytes as latin1, ASCII upper case folded
 * (RFC 4343 §3: only A-Z compare case-insensitively). Names without upper case, the common
 * case, are a single native slice.
 */
function qnameKey(buf: Buffer, end: number): string {
  let upper = false;
  for (let i = HEADER_SIZE; i < end; i++) {
    const c = buf[i];
    if (c >= 0x41 && c <= 0x5a) {
      upper = true;
      break;
    }
  }
  const raw = (buf as LatinSlicer).latin1Slice(HEADER_SIZE, end);
  return upper ? raw.replace(/[A-Z]+/g, (c: string) => c.toLowerCase()) : raw;
}

/** Reads the question name at 12: uncompressed labels only (RFC 1035 §4.1.4 pointers point backwards). */
function readQname(buf: Buffer): number {
  let i = HEADER_SIZE;
  let total = 0;
  for (;;) {
    if (i >= buf.length) throw new Malformed('question name runs past the end');
    const len = buf[i];
    if (len === 0) return i + 1;
    // RFC 1035 §4.1.4: a pointer in the first name of the message has nothing to point back to.
    if ((len & 0xc0) === 0xc0) throw new Malformed('compression pointer in the question name');
    // RFC 6891 §5: extended label types (0x40, 0x80) are not supported.
    if ((len & 0xc0) !== 0) throw new Malformed(`unknown label type 0x${(len & 0xc0).toString(16)}`);
    total += len + 1;
    // RFC 1035 §2.3.4: names are at most 255 octets.
    if (total + 1 > 255) throw new Malformed('question name longer than 255 octets');
    i += len + 1;
  }
}

/** Skips a possibly compressed name in an RR; returns the offset after it. */
function skipName(buf: Buffer, off: number): number {
  let i = off;
  for (let hops = 0; hops < 128; hops++) {
    if (i >= buf.length) throw new Malformed('record name runs past the end');
    const len = buf[i];
    if (len === 0) return i + 1;
    if ((len & 0xc0) === 0xc0) {
      if (i + 2 > buf.length) throw new Malformed('truncated compression pointer');
      // RFC 1035 §4.1.4: pointers must point backwards.
      if ((buf.readUInt16BE(i) & 0x3fff) >= i) throw new Malformed('compression pointer points forward');
      return i + 2;
    }
    if ((len & 0xc0) !== 0) throw new Malformed(`unknown label type 0x${(len & 0xc0).toString(16)}`);
    i += len + 1;
  }
  throw new Malformed('record name has too many labels');
}

/** Parses the OPT RR body; `off` points at its TYPE field, after the root name. */
function readOpt(buf: Buffer, off: number, found: (edns: EdnsInfo) => void): { edns: EdnsInfo; end: number } {
  if (off + 10 > buf.length) throw new Malformed('truncated OPT record');
  const udpSize = buf.readUInt16BE(off + 2);
  const version = buf[off + 5];
  const dnssecOk = (buf[off + 6] & 0x80) !== 0;
  const rdlen = buf.readUInt16BE(off + 8);
  const end = off + 10 + rdlen;
  if (end > buf.length) throw new Malformed('OPT RDATA runs past the end');
  const edns: EdnsInfo = { udpSize, version, dnssecOk };
  found(edns);
  if (version !== 0) return { edns, end };
  let o = off + 10;
  while (o < end) {
    // RFC 6891 §6.1.2: options are {OPTION-CODE, OPTION-LENGTH, OPTION-DATA}.
    if (o + 4 > end) throw new Malformed('truncated EDNS option header');
    const code = buf.readUInt16BE(o);
    const len = buf.readUInt16BE(o + 2);
    if (o + 4 + len > end) throw new Malformed('EDNS option runs past the OPT RDATA');
    if (code === OPTION.NSID) edns.nsid = true;
    else if (code === OPTION.ECS) {
      // RFC 7871 §7.1.1: a malformed ECS option is answered with FORMERR.
      if (edns.ecs) throw new Malformed('two ECS options');
      const ecs = decodeEcs(buf, o + 4, len);
      if (typeof ecs === 'string') throw new Malformed(ecs);
      edns.ecs = ecs;
    } else if (code === OPTION.COOKIE) {
      // RFC 7873 §5.2.2: a client cookie of 8 bytes, then no server cookie or one of 8..32 bytes.
      if (len < 8 || len > 40 || (len > 8 && len < 16)) throw new Malformed(`COOKIE option of ${len} bytes`);
      if (edns.cookieAt === undefined) {
        edns.cookieAt = o + 4;
        edns.cookieLen = len;
      }
    } else if (code === OPTION.TCP_KEEPALIVE) edns.keepalive = true;
    o += 4 + len;
  }
  return { edns, end };
}

/**
 * Reads the records after the question (or after the header when `query` is undefined,
 * QDCOUNT 0) looking for the OPT; returns it. `found` receives the OPT as soon as its fixed
 * fields and RDATA framing are read, so a FORMERR for a bad option can still carry an OPT.
 */
function readRecords(buf: Buffer, start: number, found: (edns: EdnsInfo) => void): EdnsInfo | undefined {
  let off = start;
  let opt: EdnsInfo | undefined;
  const an = buf.readUInt16BE(6);
  const ns = buf.readUInt16BE(8);
  const ar = buf.readUInt16BE(10);
  for (let n = 0; n < an + ns + ar; n++) {
    const nameStart = off;
    off = skipName(buf, off);
    if (off + 10 > buf.length) throw new Malformed('truncated resource record');
    const type = buf.readUInt16BE(off);
    if (type === TYPE.OPT) {
      // RFC 6891 §6.1.1: OPT only in the additional section, owner is root, at most one.
      if (n < an + ns) throw new Malformed('OPT record outside the additional section');
      if (off - nameStart !== 1) throw new Malformed('OPT owner name is not the root');
      if (opt) throw new Malformed('more than one OPT record');
      const { edns, end } = readOpt(buf, off, found);
      opt = edns;
      off = end;
    } else {
      off += 10 + buf.readUInt16BE(off + 8);
      if (off > buf.length) throw new Malformed('RDATA runs past the end');
    }
  }
  if (off !== buf.length) throw new Malformed(`${buf.length - off} trailing bytes after the last record`);
  return opt;
}

/**
 * Parses one query message. Never throws. An error outcome carries the question when it was
 * read (`query`) and the OPT when one was read (`edns`), so the reply can echo both
 * (RFC 6891 §7: a reply to a query with OPT carries OPT, errors included).
 */
export function parseQuery(buf: Buffer): ParseOutcome {
  // RFC 1035 §4.1.1: anything shorter than a header is unreadable; responses are never answered.
  if (buf.length < HEADER_SIZE) return { kind: 'drop', reason: 'shorter than a DNS header' };
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  if ((flags & FLAG.QR) !== 0) return { kind: 'drop', reason: 'QR=1 (a response)' };
  const opcode = (flags >> 11) & 0xf;
  const qdcount = buf.readUInt16BE(4);
  let query: ParsedQuery | undefined;
  let edns: EdnsInfo | undefined;
  const found = (e: EdnsInfo): void => {
    edns = e;
    if (query) query.edns = e;
  };
  const error = (rcode: number, reason: string): ParseOutcome => ({ kind: 'error', rcode, id, flags, reason, ...(query ? { query } : {}), ...(edns ? { edns } : {}) });
  try {
    if (qdcount === 1) {
      const qnameEnd = readQname(buf);
      if (qnameEnd + 4 > buf.length) throw new Malformed('truncated question');
      const qtype = buf.readUInt16BE(qnameEnd);
      const qclass = buf.readUInt16BE(qnameEnd + 2);
      query = { id, flags, qnameEnd, key: qnameKey(buf, qnameEnd), qtype, qclass };
      readRecords(buf, qnameEnd + 4, found);
    } else if (qdcount === 0) {
      readRecords(buf, HEADER_SIZE, found);
    }
  } catch (err) {
    if (!(err instanceof Malformed)) throw err;
    if (opcode !== 0) return error(RCODE.NOTIMP, `opcode ${opcode} not implemented`);
    return error(RCODE.FORMERR, err.message);
  }
  if (opcode !== 0) return error(RCODE.NOTIMP, `opcode ${opcode} not implemented`);
  if (qdcount !== 1 || !query) return error(RCODE.FORMERR, `QDCOUNT ${qdcount} is not 1`);
  // RFC 6891 §6.1.3: a version we do not implement gets BADVERS.
  if (query.edns && query.edns.version !== 0) return error(RCODE.BADVERS, `EDNS version ${query.edns.version}`);
  return { kind: 'query', query };
}

/** True for class IN queries (the only class served). */
export function isClassIn(q: ParsedQuery): boolean {
  return q.qclass === CLASS_IN;
}
