import { AS_TRANS, CAP, ERR, OPEN_SUB } from './constants';
import { CodecInputError, MessageError } from './errors';
import { formatIp, parseIp } from './address';

/** One capability as carried in an OPEN (RFC 5492). Unknown codes keep their raw value. */
export interface Capability {
  code: number;
  value: Buffer;
}

/** An AFI/SAFI pair. */
export interface Family {
  afi: number;
  safi: number;
}

/** Fields of an OPEN message. `asn` is the real (possibly 4-octet) AS number. */
export interface OpenFields {
  asn: number;
  holdTime: number;
  /** BGP Identifier as dotted quad. */
  routerId: string;
  capabilities: Capability[];
}

/** Builds the capabilities the speaker advertises: MP per family, route refresh, 4-octet AS. */
export function standardCapabilities(asn: number, families: Family[]): Capability[] {
  const caps: Capability[] = families.map((f) => {
    const v = Buffer.alloc(4);
    v.writeUInt16BE(f.afi, 0);
    v.writeUInt8(f.safi, 3);
    return { code: CAP.MULTIPROTOCOL, value: v };
  });
  caps.push({ code: CAP.ROUTE_REFRESH, value: Buffer.alloc(0) });
  const as4 = Buffer.alloc(4);
  as4.writeUInt32BE(asn >>> 0, 0);
  caps.push({ code: CAP.AS4, value: as4 });
  return caps;
}

/** OPEN message body (RFC 4271 §4.2) with capabilities (RFC 5492). */
export class Open implements OpenFields {
  readonly asn: number;
  readonly holdTime: number;
  readonly routerId: string;
  readonly capabilities: Capability[];
  /** The 2-octet My Autonomous System field as received or sent. */
  readonly myAs: number;

  constructor(f: OpenFields & { myAs?: number }) {
    if (!Number.isInteger(f.asn) || f.asn < 1 || f.asn > 0xffffffff) throw new CodecInputError(`invalid ASN ${f.asn}`);
    if (!Number.isInteger(f.holdTime) || f.holdTime < 0 || f.holdTime > 65535 || f.holdTime === 1 || f.holdTime === 2) {
      throw new CodecInputError(`invalid hold time ${f.holdTime} (0 or 3..65535)`);
    }
    if (parseIp(f.routerId).length !== 4) throw new CodecInputError(`router id must be IPv4 dotted quad: ${f.routerId}`);
    this.asn = f.asn;
    this.holdTime = f.holdTime;
    this.routerId = f.routerId;
    this.capabilities = f.capabilities;
    this.myAs = f.myAs ?? (f.asn > 0xffff ? AS_TRANS : f.asn);
  }

  /** Families from multiprotocol capabilities. */
  families(): Family[] {
    return this.capabilities
      .filter((c) => c.code === CAP.MULTIPROTOCOL && c.value.length === 4)
      .map((c) => ({ afi: c.value.readUInt16BE(0), safi: c.value.readUInt8(3) }));
  }

  /** True when the 4-octet AS capability is present (RFC 6793). */
  supportsAs4(): boolean {
    return this.capabilities.some((c) => c.code === CAP.AS4 && c.value.length === 4);
  }

  /** True when route refresh is advertised (RFC 2918). */
  supportsRouteRefresh(): boolean {
    return this.capabilities.some((c) => c.code === CAP.ROUTE_REFRESH);
  }

  encode(): Buffer {
    const caps = Buffer.concat(this.capabilities.map((c) => Buffer.concat([Buffer.from([c.code, c.value.length]), c.value])));
    // One optional parameter of type 2 (Capabilities) holding every capability.
    const params = caps.length > 0 ? Buffer.concat([Buffer.from([2, caps.length]), caps]) : Buffer.alloc(0);
    if (params.length > 255) throw new CodecInputError('capabilities too long for one optional parameter');
    const head = Buffer.alloc(10);
    head.writeUInt8(4, 0);
    head.writeUInt16BE(this.myAs, 1);
    head.writeUInt16BE(this.holdTime, 3);
    parseIp(this.routerId).copy(head, 5);
    head.writeUInt8(params.length, 9);
    return Buffer.concat([head, params]);
  }

  /** Decodes an OPEN body; errors are OPEN Message Errors (RFC 4271 §6.2). */
  static decode(body: Buffer): Open {
    if (body.length < 10) throw new MessageError(ERR.HEADER, 2, 'OPEN shorter than 29 octets', { data: u16(body.length + 19) });
    const version = body[0]!;
    // RFC 4271 §6.2: unsupported version → 2/1 with the largest supported version as data.
    if (version !== 4) throw new MessageError(ERR.OPEN, OPEN_SUB.UNSUPPORTED_VERSION, `unsupported BGP version ${version}`, { data: u16(4) });
    const myAs = body.readUInt16BE(1);
    const holdTime = body.readUInt16BE(3);
    // RFC 4271 §6.2: hold time 1 or 2 is unacceptable.
    if (holdTime === 1 || holdTime === 2) throw new MessageError(ERR.OPEN, OPEN_SUB.UNACCEPTABLE_HOLD_TIME, `unacceptable hold time ${holdTime}`);
    const id = body.subarray(5, 9);
    // RFC 6286 §2.2: the BGP Identifier must be non-zero.
    if (id.readUInt32BE(0) === 0) throw new MessageError(ERR.OPEN, OPEN_SUB.BAD_BGP_ID, 'BGP identifier 0.0.0.0');
    const plen = body[9]!;
    if (10 + plen !== body.length) throw new MessageError(ERR.OPEN, 0, `optional parameters length ${plen} disagrees with message length`);
    const capabilities: Capability[] = [];
    let off = 10;
    while (off < body.length) {
      if (off + 2 > body.length) throw new MessageError(ERR.OPEN, 0, 'truncated optional parameter');
      const type = body[off]!;
      const len = body[off + 1]!;
      const end = off + 2 + len;
      if (end > body.length) throw new MessageError(ERR.OPEN, 0, 'optional parameter overruns the message');
      // RFC 5492 §4 / RFC 4271 §6.2: only Capabilities (type 2) is understood.
      if (type !== 2) throw new MessageError(ERR.OPEN, OPEN_SUB.UNSUPPORTED_OPTIONAL_PARAMETER, `unsupported optional parameter ${type}`);
      let c = off + 2;
      while (c < end) {
        if (c + 2 > end || c + 2 + body[c + 1]! > end) throw new MessageError(ERR.OPEN, 0, 'capability overruns its parameter');
        const len2 = body[c + 1]!;
        capabilities.push({ code: body[c]!, value: Buffer.from(body.subarray(c + 2, c + 2 + len2)) });
        c += 2 + len2;
      }
      off = end;
    }
    const as4 = capabilities.find((c) => c.code === CAP.AS4);
    if (as4 && as4.value.length !== 4) throw new MessageError(ERR.OPEN, 0, '4-octet AS capability must be 4 octets');
    const asn = as4 ? as4.value.readUInt32BE(0) : myAs;
    if (asn === 0) throw new MessageError(ERR.OPEN, OPEN_SUB.BAD_PEER_AS, 'peer AS 0');
    return new Open({ asn, holdTime, routerId: formatIp(Buffer.from(id)), capabilities, myAs });
  }
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n, 0);
  return b;
}
