import { AFI } from './constants';
import { maskBytes } from '../../util/ip';
import { formatIp, parseIp } from './address';
import { CodecInputError, MessageError } from './errors';
import { ERR, UPDATE_SUB } from './constants';

/** An IP prefix as carried in NLRI (RFC 4271 §4.3, RFC 4760 §5). */
export class Prefix {
  readonly afi: number;
  /** Full-width address bytes (4 or 16) with host bits cleared. */
  readonly addr: Buffer;
  readonly len: number;

  constructor(afi: number, addr: Buffer, len: number) {
    const width = afi === AFI.IPV4 ? 4 : afi === AFI.IPV6 ? 16 : 0;
    if (width === 0) throw new CodecInputError(`unsupported AFI ${afi}`);
    if (addr.length !== width) throw new CodecInputError(`AFI ${afi} address must be ${width} bytes`);
    if (!Number.isInteger(len) || len < 0 || len > width * 8) throw new CodecInputError(`invalid prefix length ${len}`);
    this.afi = afi;
    this.addr = maskBytes(addr, len);
    this.len = len;
  }

  /** Parses `ADDR/LEN` (or a bare address as a host prefix). Host bits are rejected. */
  static parse(text: string): Prefix {
    const [a, l] = text.split('/');
    const addr = parseIp(a ?? '');
    const len = l === undefined ? addr.length * 8 : Number(l);
    if (l !== undefined && !/^\d+$/.test(l)) throw new CodecInputError(`invalid prefix length in ${text}`);
    const p = new Prefix(addr.length === 4 ? AFI.IPV4 : AFI.IPV6, addr, len);
    if (!p.addr.equals(addr)) throw new CodecInputError(`prefix ${text} has host bits set (use ${p.toString()})`);
    return p;
  }

  /** `ADDR/LEN` */
  toString(): string {
    return `${formatIp(this.addr)}/${this.len}`;
  }

  /** NLRI encoding: length in bits, then the minimum number of address octets. */
  encode(): Buffer {
    const n = Math.ceil(this.len / 8);
    return Buffer.concat([Buffer.from([this.len]), this.addr.subarray(0, n)]);
  }

  /**
   * Decodes a run of NLRI prefixes filling `buf`.
   * RFC 7606 §5.3: a prefix length beyond the address width or past the end is a session reset (3/10).
   */
  static decodeAll(afi: number, buf: Buffer): Prefix[] {
    const width = afi === AFI.IPV4 ? 4 : 16;
    const out: Prefix[] = [];
    let off = 0;
    while (off < buf.length) {
      const len = buf[off]!;
      const n = Math.ceil(len / 8);
      if (len > width * 8 || off + 1 + n > buf.length) {
        throw new MessageError(ERR.UPDATE, UPDATE_SUB.INVALID_NETWORK_FIELD, `malformed NLRI prefix at offset ${off}`);
      }
      const addr = Buffer.alloc(width);
      buf.copy(addr, 0, off + 1, off + 1 + n);
      out.push(new Prefix(afi, addr, len));
      off += 1 + n;
    }
    return out;
  }
}
