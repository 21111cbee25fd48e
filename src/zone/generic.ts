import type { RdataReader } from './rdata-reader';
import { RDATA } from './rdata';
import { parseUint } from './values';

/** dns-packet's per-type RDATA codec (the length-prefixed RDATA, as in a resource record). */
interface RdataCodec {
  encode(data: unknown): Buffer;
  decode(buf: Buffer, offset?: number): unknown;
}

/* eslint-disable @typescript-eslint/no-require-imports */
// @types/dns-packet does not describe these two modules; their shapes are the ones above.
const packet = require('dns-packet') as { record(type: string): RdataCodec; unknown: RdataCodec };
const packetTypes = require('dns-packet/types') as { toString(n: number): string; toType(s: string): number };
/* eslint-enable @typescript-eslint/no-require-imports */

/** A record type as the zone file named it. */
export interface RecordType {
  /** dns-packet's name for it: the mnemonic, or `UNKNOWN_<n>` for a type it has no name for. */
  name: string;
  code: number;
}

/**
 * Recognises a type token: a mnemonic dns-packet knows (`AAAA`, `LOC`) or the RFC 3597 §5
 * form `TYPE<n>`. Returns null when the token is not a type at all.
 */
export function parseType(text: string): RecordType | null {
  const up = text.toUpperCase();
  const m = /^TYPE(\d{1,5})$/.exec(up);
  if (m) {
    const code = Number(m[1]);
    if (code < 1 || code > 65535) return null;
    return { name: packetTypes.toString(code), code };
  }
  if (!/^[A-Z][A-Z0-9]*$/.test(up) || up.startsWith('UNKNOWN_')) return null;
  const code = packetTypes.toType(up);
  return code === 0 ? null : { name: up, code };
}

/** RFC 6895 §3.1: 0 is reserved, OPT (41) and 128-255 are meta/query types, never in a zone. */
export function isMetaType(code: number): boolean {
  return code === 0 || code === 41 || (code >= 128 && code <= 255);
}

/** True when the type has a presentation-form parser here. */
export function hasPresentationForm(type: string): boolean {
  return Object.prototype.hasOwnProperty.call(RDATA, type);
}

const NAME_FIELDS: Record<string, string[]> = {
  MX: ['exchange'],
  SOA: ['mname', 'rname'],
  SRV: ['target'],
  NAPTR: ['replacement'],
};
const NAME_TYPES = new Set(['NS', 'CNAME', 'PTR', 'DNAME']);

const normName = (n: string): string => (n === '.' ? '' : n.toLowerCase());

/**
 * RFC 3597 §5 generic RDATA: `\# <length> <hex…>`. For types dns-packet has a codec for,
 * the octets are decoded into that codec's `data` shape (names lower-cased, root as '');
 * for any other type `data` is the raw RDATA Buffer, which dns-packet writes as is.
 */
export function parseGeneric(r: RdataReader, type: RecordType): unknown {
  const lenTok = r.next('RDATA length');
  const length = r.at(lenTok, () => parseUint(lenTok.text, 'RDATA length', 16));
  const rdata = r.more() ? r.hexRest('RDATA hex') : Buffer.alloc(0);
  if (rdata.length !== length) {
    throw r.errorAt(lenTok, `generic RDATA length ${length} does not match the ${rdata.length} octets given`);
  }
  const codec = packet.record(type.name);
  if (codec === packet.unknown) return rdata;
  const framed = Buffer.concat([Buffer.from([length >> 8, length & 0xff]), rdata]);
  let data: unknown;
  try {
    data = codec.decode(framed, 0);
    if (!codec.encode(cloneData(data)).equals(framed)) throw new Error('it does not re-encode to the same octets');
  } catch (err) {
    throw r.errorAt(lenTok, `generic RDATA is not valid ${type.name} data: ${(err as Error).message}`);
  }
  if (NAME_TYPES.has(type.name)) return normName(data as string);
  const fields = NAME_FIELDS[type.name];
  if (fields) {
    const obj = data as Record<string, string>;
    for (const f of fields) obj[f] = normName(obj[f] as string);
  }
  if (type.name === 'CAA') delete (data as { issuerCritical?: boolean }).issuerCritical;
  return data;
}

/** A deep copy, because some dns-packet encoders modify their input. */
function cloneData(data: unknown): unknown {
  if (Buffer.isBuffer(data)) return Buffer.from(data);
  if (Array.isArray(data)) return data.map((d) => cloneData(d));
  if (data && typeof data === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(data)) out[k] = cloneData(v);
    return out;
  }
  return data;
}
