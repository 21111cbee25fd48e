import type { RdataReader } from './rdata-reader';
import { RDATA } from './rdata';
import { parseUint } from './values';
import { rrTypeByText } from '../rrtype/registry';
import type { RrType } from '../rrtype/registry';

/** dns-packet's per-type RDATA codec (the length-prefixed RDATA, as in a resource record). */
interface RdataCodec {
  encode(data: unknown): Buffer;
  decode(buf: Buffer, offset?: number): unknown;
}

/* eslint-disable @typescript-eslint/no-require-imports */
// @types/dns-packet does not describe this module; its shape is the one above.
const packet = require('dns-packet') as { record(type: string): RdataCodec; unknown: RdataCodec };
/* eslint-enable @typescript-eslint/no-require-imports */

/** A record type as the zone file named it (the registry's entry; `TYPE<n>` when unnamed). */
export type RecordType = RrType;

/**
 * Recognises a type token: a registered mnemonic (`AAAA`, `HTTPS`) or the RFC 3597 §5 form
 * `TYPE<n>`, 0-65535, which names the same type (`TYPE65` is `HTTPS`). Null when it is not a type.
 */
export function parseType(text: string): RecordType | null {
  return rrTypeByText(text) ?? null;
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
 * RFC 3597 §5 generic RDATA: `\# <length> <hex…>`. For types held in dns-packet's shape
 * (kind `packet`) the octets are decoded into it (names lower-cased, root as ''); for every
 * other type, known or not, `data` is the RDATA Buffer, written to the wire as is.
 */
export function parseGeneric(r: RdataReader, type: RecordType): unknown {
  const lenTok = r.next('RDATA length');
  const length = r.at(lenTok, () => parseUint(lenTok.text, 'RDATA length', 16));
  const rdata = r.more() ? r.hexRest('RDATA hex') : Buffer.alloc(0);
  if (rdata.length !== length) {
    throw r.errorAt(lenTok, `generic RDATA length ${length} does not match the ${rdata.length} octets given`);
  }
  if (type.kind === 'raw') return rdata;
  const codec = packet.record(type.name);
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
