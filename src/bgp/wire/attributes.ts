import { AFI, ATTR, ERR, FLAG, SAFI, SEGMENT, UPDATE_SUB } from './constants';
import { MessageError } from './errors';
import type { ErrorAction } from './errors';
import { formatIp, parseIp } from './address';
import { Prefix } from './prefix';

/** An AS_PATH / AS4_PATH segment (RFC 4271 §4.3). */
export interface Segment {
  type: number;
  asns: number[];
}

/**
 * A decoded path attribute. `flags`, when present, is used verbatim on encode (so captured
 * messages round-trip byte-exactly); otherwise the canonical flags for the type are used.
 */
export type PathAttribute = { flags?: number } & (
  | { type: 'origin'; value: number }
  | { type: 'as-path'; segments: Segment[] }
  | { type: 'as4-path'; segments: Segment[] }
  | { type: 'next-hop'; addr: string }
  | { type: 'med'; value: number }
  | { type: 'local-pref'; value: number }
  | { type: 'communities'; values: number[] }
  | { type: 'mp-reach'; afi: number; safi: number; nextHops: string[]; nlri: Prefix[] }
  | { type: 'mp-unreach'; afi: number; safi: number; withdrawn: Prefix[] }
  | { type: 'unknown'; code: number; value: Buffer }
);

/** Decoding context negotiated in the OPEN exchange. */
export interface CodecContext {
  /** Both sides advertised the 4-octet AS capability: AS_PATH carries 4-octet ASNs. */
  as4: boolean;
}

const CODE: Record<Exclude<PathAttribute['type'], 'unknown'>, number> = {
  'origin': ATTR.ORIGIN, 'as-path': ATTR.AS_PATH, 'next-hop': ATTR.NEXT_HOP, 'med': ATTR.MED,
  'local-pref': ATTR.LOCAL_PREF, 'communities': ATTR.COMMUNITIES, 'mp-reach': ATTR.MP_REACH_NLRI,
  'mp-unreach': ATTR.MP_UNREACH_NLRI, 'as4-path': ATTR.AS4_PATH,
};

/** Optional/transitive bits each known attribute must carry (RFC 4271 §5, RFC 4760, RFC 6793). */
const EXPECTED_FLAGS: Record<number, number> = {
  [ATTR.ORIGIN]: FLAG.TRANSITIVE, [ATTR.AS_PATH]: FLAG.TRANSITIVE, [ATTR.NEXT_HOP]: FLAG.TRANSITIVE,
  [ATTR.MED]: FLAG.OPTIONAL, [ATTR.LOCAL_PREF]: FLAG.TRANSITIVE, [ATTR.ATOMIC_AGGREGATE]: FLAG.TRANSITIVE,
  [ATTR.AGGREGATOR]: FLAG.OPTIONAL | FLAG.TRANSITIVE, [ATTR.COMMUNITIES]: FLAG.OPTIONAL | FLAG.TRANSITIVE,
  [ATTR.MP_REACH_NLRI]: FLAG.OPTIONAL, [ATTR.MP_UNREACH_NLRI]: FLAG.OPTIONAL,
  [ATTR.AS4_PATH]: FLAG.OPTIONAL | FLAG.TRANSITIVE, [ATTR.AS4_AGGREGATOR]: FLAG.OPTIONAL | FLAG.TRANSITIVE,
  [ATTR.LARGE_COMMUNITY]: FLAG.OPTIONAL | FLAG.TRANSITIVE,
};

/** RFC 7606 §7: the action for a malformed instance of each attribute. */
function actionFor(code: number): ErrorAction {
  switch (code) {
    case ATTR.MP_REACH_NLRI:
    case ATTR.MP_UNREACH_NLRI:
      return 'session-reset';
    case ATTR.ATOMIC_AGGREGATE:
    case ATTR.AGGREGATOR:
    case ATTR.AS4_PATH: // RFC 6793 §6
    case ATTR.AS4_AGGREGATOR:
      return 'attribute-discard';
    default:
      return 'treat-as-withdraw';
  }
}

/** Encodes one attribute with its flags, type and (extended) length (RFC 4271 §4.3). */
export function encodeAttribute(a: PathAttribute, ctx: CodecContext): Buffer {
  const code = a.type === 'unknown' ? a.code : CODE[a.type];
  const value = encodeValue(a, ctx);
  let flags = a.flags ?? (EXPECTED_FLAGS[code] ?? FLAG.OPTIONAL);
  if (value.length > 255) flags |= FLAG.EXTENDED;
  const ext = (flags & FLAG.EXTENDED) !== 0;
  const head = Buffer.alloc(ext ? 4 : 3);
  head[0] = flags;
  head[1] = code;
  if (ext) head.writeUInt16BE(value.length, 2);
  else head[2] = value.length;
  return Buffer.concat([head, value]);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

function encodeSegments(segments: Segment[], four: boolean): Buffer {
  return Buffer.concat(segments.map((s) => {
    const b = Buffer.alloc(2 + s.asns.length * (four ? 4 : 2));
    b[0] = s.type;
    b[1] = s.asns.length;
    s.asns.forEach((asn, i) => (four ? b.writeUInt32BE(asn >>> 0, 2 + i * 4) : b.writeUInt16BE(asn, 2 + i * 2)));
    return b;
  }));
}

function encodeValue(a: PathAttribute, ctx: CodecContext): Buffer {
  switch (a.type) {
    case 'origin': return Buffer.from([a.value]);
    case 'as-path': return encodeSegments(a.segments, ctx.as4);
    case 'as4-path': return encodeSegments(a.segments, true);
    case 'next-hop': return parseIp(a.addr);
    case 'med':
    case 'local-pref': return u32(a.value);
    case 'communities': return Buffer.concat(a.values.map(u32));
    case 'mp-reach': {
      const nh = Buffer.concat(a.nextHops.map(parseIp));
      const head = Buffer.alloc(4);
      head.writeUInt16BE(a.afi, 0);
      head[2] = a.safi;
      head[3] = nh.length;
      return Buffer.concat([head, nh, Buffer.from([0]), ...a.nlri.map((p) => p.encode())]);
    }
    case 'mp-unreach': {
      const head = Buffer.alloc(3);
      head.writeUInt16BE(a.afi, 0);
      head[2] = a.safi;
      return Buffer.concat([head, ...a.withdrawn.map((p) => p.encode())]);
    }
    case 'unknown': return a.value;
  }
}

function decodeSegments(v: Buffer, four: boolean, code: number): Segment[] {
  const w = four ? 4 : 2;
  const out: Segment[] = [];
  let off = 0;
  while (off < v.length) {
    const type = v[off]!;
    const n = v[off + 1];
    // RFC 7606 §7.2: unknown segment type, zero-length segment or overrun is malformed.
    if (n === undefined || n === 0 || (type !== SEGMENT.AS_SET && type !== SEGMENT.AS_SEQUENCE) || off + 2 + n * w > v.length) {
      throw new MessageError(ERR.UPDATE, UPDATE_SUB.MALFORMED_AS_PATH, 'malformed AS_PATH segment', { action: actionFor(code) });
    }
    const asns: number[] = [];
    for (let i = 0; i < n; i++) asns.push(four ? v.readUInt32BE(off + 2 + i * 4) : v.readUInt16BE(off + 2 + i * 2));
    out.push({ type, asns });
    off += 2 + n * w;
  }
  return out;
}

function lengthError(code: number, data: Buffer, what: string): MessageError {
  return new MessageError(ERR.UPDATE, UPDATE_SUB.ATTRIBUTE_LENGTH, what, { data, action: actionFor(code) });
}

/**
 * Decodes one attribute value. Throws a MessageError whose `action` follows RFC 7606 §7 when
 * the attribute is malformed; unsupported AFI/SAFI MP attributes decode as `unknown`.
 */
export function decodeAttribute(flags: number, code: number, v: Buffer, raw: Buffer, ctx: CodecContext): PathAttribute {
  const expected = EXPECTED_FLAGS[code];
  // RFC 4271 §6.3 / RFC 7606 §3c: Optional and Transitive bits must match the attribute type.
  if (expected !== undefined && (flags & (FLAG.OPTIONAL | FLAG.TRANSITIVE)) !== expected) {
    throw new MessageError(ERR.UPDATE, UPDATE_SUB.ATTRIBUTE_FLAGS, `attribute ${code} has flags 0x${flags.toString(16)}`, { data: raw, action: actionFor(code) });
  }
  // RFC 4271 §4.3 / §6.3: the Partial bit is 0 for well-known and optional non-transitive attributes.
  if ((flags & FLAG.PARTIAL) !== 0 && (flags & (FLAG.OPTIONAL | FLAG.TRANSITIVE)) !== (FLAG.OPTIONAL | FLAG.TRANSITIVE)) {
    throw new MessageError(ERR.UPDATE, UPDATE_SUB.ATTRIBUTE_FLAGS, `attribute ${code} has the Partial bit set`, { data: raw, action: actionFor(code) });
  }
  switch (code) {
    case ATTR.ORIGIN:
      if (v.length !== 1) throw lengthError(code, raw, 'ORIGIN length must be 1');
      if (v[0]! > 2) throw new MessageError(ERR.UPDATE, UPDATE_SUB.INVALID_ORIGIN, `invalid ORIGIN ${v[0]}`, { data: raw, action: 'treat-as-withdraw' });
      return { flags, type: 'origin', value: v[0]! };
    case ATTR.AS_PATH:
      return { flags, type: 'as-path', segments: decodeSegments(v, ctx.as4, code) };
    case ATTR.AS4_PATH:
      return { flags, type: 'as4-path', segments: decodeSegments(v, true, code) };
    case ATTR.NEXT_HOP:
      if (v.length !== 4) throw lengthError(code, raw, 'NEXT_HOP length must be 4');
      return { flags, type: 'next-hop', addr: formatIp(Buffer.from(v)) };
    case ATTR.MED:
    case ATTR.LOCAL_PREF:
      if (v.length !== 4) throw lengthError(code, raw, `attribute ${code} length must be 4`);
      return { flags, type: code === ATTR.MED ? 'med' : 'local-pref', value: v.readUInt32BE(0) };
    case ATTR.COMMUNITIES: {
      // RFC 7606 §7.8: a length that is zero or not a multiple of 4 is malformed.
      if (v.length === 0 || v.length % 4 !== 0) throw lengthError(code, raw, 'COMMUNITIES length must be a non-zero multiple of 4');
      const values: number[] = [];
      for (let i = 0; i < v.length; i += 4) values.push(v.readUInt32BE(i));
      return { flags, type: 'communities', values };
    }
    case ATTR.LARGE_COMMUNITY:
      // RFC 8092 §5 / RFC 7606: a length that is zero or not a multiple of 12 → treat-as-withdraw.
      if (v.length === 0 || v.length % 12 !== 0) throw lengthError(code, raw, 'LARGE_COMMUNITY length must be a non-zero multiple of 12');
      return { flags, type: 'unknown', code, value: Buffer.from(v) };
    case ATTR.ATOMIC_AGGREGATE:
      if (v.length !== 0) throw lengthError(code, raw, 'ATOMIC_AGGREGATE length must be 0');
      return { flags, type: 'unknown', code, value: Buffer.from(v) };
    case ATTR.AGGREGATOR:
      if (v.length !== (ctx.as4 ? 8 : 6)) throw lengthError(code, raw, 'AGGREGATOR length');
      return { flags, type: 'unknown', code, value: Buffer.from(v) };
    case ATTR.MP_REACH_NLRI:
      return decodeMpReach(flags, v, raw);
    case ATTR.MP_UNREACH_NLRI:
      return decodeMpUnreach(flags, v, raw);
    default:
      return { flags, type: 'unknown', code, value: Buffer.from(v) };
  }
}

function supported(afi: number, safi: number): boolean {
  return (afi === AFI.IPV4 || afi === AFI.IPV6) && safi === SAFI.UNICAST;
}

function decodeMpReach(flags: number, v: Buffer, raw: Buffer): PathAttribute {
  // RFC 4760 §3 / RFC 7606 §7.11: a malformed MP_REACH_NLRI resets the session.
  if (v.length < 5 || 5 + v[3]! > v.length) throw lengthError(ATTR.MP_REACH_NLRI, raw, 'MP_REACH_NLRI too short');
  const afi = v.readUInt16BE(0);
  const safi = v[2]!;
  if (!supported(afi, safi)) return { flags, type: 'unknown', code: ATTR.MP_REACH_NLRI, value: Buffer.from(v) };
  const nhLen = v[3]!;
  const nh = v.subarray(4, 4 + nhLen);
  let nextHops: string[];
  if (nhLen === 4 || nhLen === 16) nextHops = [formatIp(Buffer.from(nh))];
  else if (nhLen === 32) nextHops = [formatIp(Buffer.from(nh.subarray(0, 16))), formatIp(Buffer.from(nh.subarray(16)))];
  else throw new MessageError(ERR.UPDATE, UPDATE_SUB.OPTIONAL_ATTRIBUTE, `MP_REACH_NLRI next hop length ${nhLen}`, { data: raw });
  const nlri = Prefix.decodeAll(afi, v.subarray(5 + nhLen));
  return { flags, type: 'mp-reach', afi, safi, nextHops, nlri };
}

function decodeMpUnreach(flags: number, v: Buffer, raw: Buffer): PathAttribute {
  if (v.length < 3) throw lengthError(ATTR.MP_UNREACH_NLRI, raw, 'MP_UNREACH_NLRI too short');
  const afi = v.readUInt16BE(0);
  const safi = v[2]!;
  if (!supported(afi, safi)) return { flags, type: 'unknown', code: ATTR.MP_UNREACH_NLRI, value: Buffer.from(v) };
  return { flags, type: 'mp-unreach', afi, safi, withdrawn: Prefix.decodeAll(afi, v.subarray(3)) };
}
