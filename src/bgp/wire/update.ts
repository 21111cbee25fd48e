import { AFI, ATTR, ERR, FLAG, MAX_MESSAGE_LEN, UPDATE_SUB } from './constants';
import { CodecInputError, MessageError } from './errors';
import { decodeAttribute, encodeAttribute } from './attributes';
import type { CodecContext, PathAttribute } from './attributes';
import { Prefix } from './prefix';

/** Fields of an UPDATE (RFC 4271 §4.3): IPv4 withdrawn routes and NLRI, and path attributes. */
export interface UpdateFields {
  withdrawn?: Prefix[];
  attributes?: PathAttribute[];
  nlri?: Prefix[];
}

/** UPDATE message body. `issues` lists the RFC 7606 non-fatal errors found while decoding. */
export class Update {
  readonly withdrawn: Prefix[];
  readonly attributes: PathAttribute[];
  readonly nlri: Prefix[];
  /** Errors handled by treat-as-withdraw or attribute-discard (decoding only). */
  readonly issues: MessageError[];

  constructor(f: UpdateFields, issues: MessageError[] = []) {
    this.withdrawn = f.withdrawn ?? [];
    this.attributes = f.attributes ?? [];
    this.nlri = f.nlri ?? [];
    for (const p of [...this.withdrawn, ...this.nlri]) {
      if (p.afi !== AFI.IPV4) throw new CodecInputError(`IPv6 prefix ${p.toString()} must travel in MP_REACH/MP_UNREACH`);
    }
    this.issues = issues;
  }

  /** RFC 7606 §2: true when an error requires the UPDATE's routes to be treated as withdrawn. */
  get treatAsWithdraw(): boolean {
    return this.issues.some((e) => e.action === 'treat-as-withdraw');
  }

  /** Every prefix announced by this UPDATE (classic NLRI and MP_REACH_NLRI). */
  announced(): Prefix[] {
    const mp = this.attributes.flatMap((a) => (a.type === 'mp-reach' ? a.nlri : []));
    return [...this.nlri, ...mp];
  }

  /** Every prefix withdrawn by this UPDATE (classic and MP_UNREACH_NLRI). */
  withdrawnAll(): Prefix[] {
    const mp = this.attributes.flatMap((a) => (a.type === 'mp-unreach' ? a.withdrawn : []));
    return [...this.withdrawn, ...mp];
  }

  /** True for an End-of-RIB marker (RFC 4724 §2): an empty UPDATE or a lone empty MP_UNREACH. */
  isEndOfRib(): boolean {
    if (this.withdrawn.length || this.nlri.length) return false;
    if (this.attributes.length === 0) return true;
    const a = this.attributes[0]!;
    return this.attributes.length === 1 && a.type === 'mp-unreach' && a.withdrawn.length === 0;
  }

  encode(ctx: CodecContext): Buffer {
    const w = Buffer.concat(this.withdrawn.map((p) => p.encode()));
    const attrs = Buffer.concat(this.attributes.map((a) => encodeAttribute(a, ctx)));
    const nlri = Buffer.concat(this.nlri.map((p) => p.encode()));
    const out = Buffer.alloc(4 + w.length + attrs.length + nlri.length);
    out.writeUInt16BE(w.length, 0);
    w.copy(out, 2);
    out.writeUInt16BE(attrs.length, 2 + w.length);
    attrs.copy(out, 4 + w.length);
    nlri.copy(out, 4 + w.length + attrs.length);
    if (out.length + 19 > MAX_MESSAGE_LEN) throw new CodecInputError(`UPDATE of ${out.length + 19} octets exceeds ${MAX_MESSAGE_LEN}`);
    return out;
  }

  /**
   * Decodes an UPDATE body with RFC 7606 error handling: errors that need a session reset are
   * thrown; treat-as-withdraw and attribute-discard errors are collected in `issues` and the
   * broken attribute is left out.
   */
  static decode(body: Buffer, ctx: CodecContext): Update {
    // RFC 4271 §6.3: the withdrawn and attribute lengths must fit the message (3/1).
    if (body.length < 4) throw new MessageError(ERR.UPDATE, UPDATE_SUB.MALFORMED_ATTRIBUTE_LIST, 'UPDATE shorter than 23 octets');
    const wLen = body.readUInt16BE(0);
    if (2 + wLen + 2 > body.length) throw new MessageError(ERR.UPDATE, UPDATE_SUB.MALFORMED_ATTRIBUTE_LIST, 'withdrawn routes length overruns the message');
    const aLen = body.readUInt16BE(2 + wLen);
    const aStart = 4 + wLen;
    if (aStart + aLen > body.length) throw new MessageError(ERR.UPDATE, UPDATE_SUB.MALFORMED_ATTRIBUTE_LIST, 'total path attribute length overruns the message');
    const withdrawn = Prefix.decodeAll(AFI.IPV4, body.subarray(2, 2 + wLen));
    const nlri = Prefix.decodeAll(AFI.IPV4, body.subarray(aStart + aLen));
    const issues: MessageError[] = [];
    const attributes: PathAttribute[] = [];
    const seen = new Set<number>();
    let off = aStart;
    const end = aStart + aLen;
    while (off < end) {
      if (off + 3 > end) {
        issues.push(new MessageError(ERR.UPDATE, UPDATE_SUB.MALFORMED_ATTRIBUTE_LIST, 'truncated attribute header', { action: 'treat-as-withdraw' }));
        break;
      }
      const flags = body[off]!;
      const code = body[off + 1]!;
      const ext = (flags & FLAG.EXTENDED) !== 0;
      const hl = ext ? 4 : 3;
      if (off + hl > end) {
        issues.push(new MessageError(ERR.UPDATE, UPDATE_SUB.MALFORMED_ATTRIBUTE_LIST, 'truncated attribute header', { action: 'treat-as-withdraw' }));
        break;
      }
      const len = ext ? body.readUInt16BE(off + 2) : body[off + 2]!;
      // RFC 7606 §4: an attribute overrunning the attribute field → treat-as-withdraw.
      if (off + hl + len > end) {
        issues.push(new MessageError(ERR.UPDATE, UPDATE_SUB.ATTRIBUTE_LENGTH, `attribute ${code} overruns the attribute list`, { action: 'treat-as-withdraw' }));
        break;
      }
      const raw = body.subarray(off, off + hl + len);
      const value = body.subarray(off + hl, off + hl + len);
      off += hl + len;
      if (seen.has(code)) {
        // RFC 7606 §3g: repeated MP_(UN)REACH_NLRI resets; other repeats are discarded.
        if (code === ATTR.MP_REACH_NLRI || code === ATTR.MP_UNREACH_NLRI) {
          throw new MessageError(ERR.UPDATE, UPDATE_SUB.MALFORMED_ATTRIBUTE_LIST, `repeated attribute ${code}`);
        }
        issues.push(new MessageError(ERR.UPDATE, UPDATE_SUB.MALFORMED_ATTRIBUTE_LIST, `repeated attribute ${code} discarded`, { action: 'attribute-discard' }));
        continue;
      }
      seen.add(code);
      // RFC 4271 §6.3: an unrecognized well-known (non-optional) attribute is 3/2.
      if ((flags & FLAG.OPTIONAL) === 0 && !KNOWN_WELL_KNOWN.has(code)) {
        throw new MessageError(ERR.UPDATE, UPDATE_SUB.UNRECOGNIZED_WELL_KNOWN, `unrecognized well-known attribute ${code}`, { data: Buffer.from(raw) });
      }
      try {
        attributes.push(decodeAttribute(flags, code, value, Buffer.from(raw), ctx));
      } catch (err) {
        if (err instanceof MessageError && err.action !== 'session-reset') issues.push(err);
        else throw err;
      }
    }
    const hasNlri = nlri.length > 0 || attributes.some((a) => a.type === 'mp-reach' && a.nlri.length > 0);
    if (hasNlri) {
      // RFC 7606 §3d: a missing well-known mandatory attribute → treat-as-withdraw.
      const need = [ATTR.ORIGIN, ATTR.AS_PATH, ...(nlri.length ? [ATTR.NEXT_HOP] : [])];
      for (const code of need) {
        if (!seen.has(code)) {
          issues.push(new MessageError(ERR.UPDATE, UPDATE_SUB.MISSING_WELL_KNOWN, `missing well-known attribute ${code}`, { data: Buffer.from([code]), action: 'treat-as-withdraw' }));
        }
      }
    }
    return new Update({ withdrawn, attributes, nlri }, issues);
  }
}

const KNOWN_WELL_KNOWN = new Set<number>([ATTR.ORIGIN, ATTR.AS_PATH, ATTR.NEXT_HOP, ATTR.LOCAL_PREF, ATTR.ATOMIC_AGGREGATE]);
