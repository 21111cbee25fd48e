/**
 * A response writer with RFC 1035 §4.1.4 name compression. RDATA of types without embedded
 * names is encoded once per record by dns-packet's per-type codec and cached, so encoding an
 * answer (static on a cache miss, or a dynamic pick) is a few buffer copies.
 * Pure: no networking, no configuration.
 */
import * as dnsPacket from 'dns-packet';
import type { ZoneRecord } from '../../zone/types';
import { textToLabels } from './name';
import { TYPE } from './constants';
import { writeEde } from './ede';
import type { ExtendedError } from './ede';
import { rrTypeByCode, rrTypeCode } from '../../rrtype/registry';

/** A record as it goes on the wire: owner may differ (wildcard synthesis), TTL may be capped (RFC 2308). */
export interface WireRecord {
  rec: ZoneRecord;
  owner: string;
  ttl: number;
  /** Made by the server from other records (a DNAME's CNAME): never signed. */
  synthesized?: boolean;
}

/** Thrown when a message would exceed 65535 bytes. */
export class MessageOverflow extends Error {
  readonly code = 'E_DNS_OVERFLOW';
}

type Codec = ((data: unknown, buf: Buffer, offset: number) => Buffer) & { bytes: number };
// eslint-disable-next-line @typescript-eslint/unbound-method -- dns-packet's record() uses no `this`
const recordCodec = (dnsPacket as unknown as { record(type: string): { encode: Codec } }).record;

/** Largest DNS message (RFC 1035 §4.2.2 framing limit). */
export const MAX_MESSAGE = 65535;

const rdataCache = new WeakMap<ZoneRecord, Buffer>();

/** Numeric code of a type name as the registry spells it ('A' → 1; 'TYPE65534' → 65534). */
export function typeCode(type: string): number {
  return rrTypeCode(type);
}

/**
 * Encoded RDLENGTH+RDATA of a record whose RDATA holds no compressible name, cached per record
 * object. Throws a TypeError naming the record when its data does not fit the type.
 */
export function rdataBytes(rec: ZoneRecord): Buffer {
  let b = rdataCache.get(rec);
  if (!b) {
    const scratch = Buffer.alloc(MAX_MESSAGE + 2);
    try {
      if (Buffer.isBuffer(rec.data) && rrTypeByCode(rrTypeCode(rec.type)).kind === 'raw') {
        // RDATA octets (own codecs or RFC 3597 generic form): written as they are.
        if (rec.data.length > 65535) throw new RangeError('RDATA longer than 65535 octets');
        b = Buffer.alloc(2 + rec.data.length);
        b.writeUInt16BE(rec.data.length, 0);
        rec.data.copy(b, 2);
        rdataCache.set(rec, b);
        return b;
      }
      const enc = recordCodec(rec.type).encode;
      enc(rec.data, scratch, 0);
      b = Buffer.from(scratch.subarray(0, enc.bytes));
    } catch (err) {
      throw new TypeError(`cannot encode ${rec.name} ${rec.type} (${rec.pos.file}:${rec.pos.line}:${rec.pos.col}): ${(err as Error).message}`, { cause: err });
    }
    rdataCache.set(rec, b);
  }
  return b;
}

/** Presentation labels of a name with escapes kept, so suffixes are valid compression keys. */
function splitLabels(name: string): string[] {
  const out: string[] = [];
  if (name === '') return out;
  let start = 0;
  for (let i = 0; i < name.length; i++) {
    const ch = name.charCodeAt(i);
    if (ch === 0x5c) i++;
    else if (ch === 0x2e) {
      out.push(name.slice(start, i));
      start = i + 1;
    }
  }
  out.push(name.slice(start));
  return out;
}

/** Builds one DNS message into a caller-provided buffer. */
export class MessageWriter {
  off = 0;
  private names = new Map<string, number>();

  constructor(readonly buf: Buffer) {}

  /** Writes the 12-byte header. */
  header(id: number, flags: number, qd: number, an: number, ns: number, ar: number): void {
    this.names.clear();
    const b = this.buf;
    b.writeUInt16BE(id, 0);
    b.writeUInt16BE(flags, 2);
    b.writeUInt16BE(qd, 4);
    b.writeUInt16BE(an, 6);
    b.writeUInt16BE(ns, 8);
    b.writeUInt16BE(ar, 10);
    this.off = 12;
  }

  /** Sets ANCOUNT/NSCOUNT/ARCOUNT after the sections are written. */
  counts(an: number, ns: number, ar: number): void {
    this.buf.writeUInt16BE(an, 6);
    this.buf.writeUInt16BE(ns, 8);
    this.buf.writeUInt16BE(ar, 10);
  }

  /** Copies the question from the query (name exactly as asked, 0x20 case) and registers its suffixes. */
  question(query: Buffer, qnameEnd: number, qname: string): void {
    query.copy(this.buf, 12, 12, qnameEnd + 4);
    const labels = splitLabels(qname);
    let p = 12;
    for (let i = 0; i < labels.length; i++) {
      this.names.set(labels.slice(i).join('.'), p);
      p += this.buf[p] + 1;
    }
    this.off = qnameEnd + 4;
  }

  /** Writes a name, compressing against earlier names. */
  name(written: string): void {
    // RDATA names may be written absolute ('www.example.com.'): the dot is the root label.
    const name = written.endsWith('.') && !written.endsWith('\\.') ? written.slice(0, -1) : written;
    const labels = splitLabels(name);
    const b = this.buf;
    for (let i = 0; i < labels.length; i++) {
      const suffix = i === 0 ? name : labels.slice(i).join('.');
      const ptr = this.names.get(suffix.toLowerCase());
      if (ptr !== undefined) {
        b.writeUInt16BE(0xc000 | ptr, this.off);
        this.off += 2;
        return;
      }
      if (this.off < 0x4000) this.names.set(suffix.toLowerCase(), this.off);
      const raw = textToLabels(labels[i])[0] ?? Buffer.alloc(0);
      b[this.off] = Math.min(raw.length, 63);
      raw.copy(b, this.off + 1, 0, 63);
      this.off += 1 + Math.min(raw.length, 63);
    }
    b[this.off++] = 0;
  }

  /** Writes one resource record; throws MessageOverflow past 65535 bytes. */
  record(w: WireRecord): void {
    const { rec } = w;
    this.name(w.owner);
    const b = this.buf;
    b.writeUInt16BE(typeCode(rec.type), this.off);
    b.writeUInt16BE(1, this.off + 2);
    b.writeUInt32BE(w.ttl >>> 0, this.off + 4);
    this.off += 8;
    const d = rec.data as Record<string, unknown>;
    switch (rec.type) {
      case 'NS':
      case 'CNAME':
      case 'PTR':
      case 'DNAME':
        this.rdata(() => this.name(String(rec.data)), rec.type !== 'DNAME');
        break;
      case 'MX':
        this.rdata(() => {
          b.writeUInt16BE(Number(d.preference) || 0, this.off);
          this.off += 2;
          this.name(String(d.exchange));
        });
        break;
      case 'SOA':
        this.rdata(() => {
          this.name(String(d.mname));
          this.name(String(d.rname));
          for (const k of ['serial', 'refresh', 'retry', 'expire', 'minimum']) {
            b.writeUInt32BE(Number(d[k]) >>> 0, this.off);
            this.off += 4;
          }
        });
        break;
      default: {
        const r = rdataBytes(rec);
        if (this.off + r.length > b.length) throw new MessageOverflow('record does not fit');
        r.copy(b, this.off);
        this.off += r.length;
      }
    }
    if (this.off > MAX_MESSAGE) throw new MessageOverflow('message exceeds 65535 bytes');
  }

  private rdata(body: () => void, compress = true): void {
    const lenAt = this.off;
    this.off += 2;
    if (!compress) {
      const saved = new Map(this.names);
      this.names.clear();
      body();
      this.names = saved;
    } else body();
    this.buf.writeUInt16BE(this.off - lenAt - 2, lenAt);
  }

  /** Writes an OPT RR (RFC 6891 §6.1.2) with no options; returns the offset of its RDLENGTH. */
  opt(udpSize: number, extRcode: number, dnssecOk: boolean): number {
    const b = this.buf;
    b[this.off] = 0;
    b.writeUInt16BE(TYPE.OPT, this.off + 1);
    b.writeUInt16BE(udpSize, this.off + 3);
    b[this.off + 5] = extRcode;
    b[this.off + 6] = 0;
    b.writeUInt16BE(dnssecOk ? 0x8000 : 0, this.off + 7);
    b.writeUInt16BE(0, this.off + 9);
    this.off += 11;
    return this.off - 2;
  }

  /** Appends an Extended DNS Error option to the OPT whose RDLENGTH is at `rdlenAt` (RFC 8914 §2). */
  ede(rdlenAt: number, e: ExtendedError): void {
    const end = writeEde(this.buf, this.off, e);
    this.buf.writeUInt16BE(this.buf.readUInt16BE(rdlenAt) + end - this.off, rdlenAt);
    this.off = end;
  }
}
