/**
 * Online signing of a reply (RFC 4035 §3.1): a ReplyPlan of a signed zone, asked with DO=1,
 * gets an RRSIG after each authoritative RRset and an NSEC proof for what does not exist.
 *
 * Denial is compact (RFC 9824): a NODATA answer has one NSEC at the query name whose next name
 * is its immediate successor (`\000.name`, RFC 4470) and whose bitmap lists the types the name
 * has; a name that does not exist is answered NOERROR with such an NSEC listing RRSIG, NSEC and
 * NXNAME (the RFC 9824 pseudo-type 128). A referral carries the DS RRset and its RRSIG (signed
 * delegation) or the NSEC at the cut without DS (insecure). A wildcard expansion is signed over
 * the wildcard (RRSIG labels = the wildcard's labels without `*`) with a minimally covering NSEC
 * (RFC 4470 "white lies") proving that the next closer name does not exist (RFC 4035 §3.1.3.3).
 */
import type { ZoneRecord } from '../zone/types';
import type { ZoneSigner } from '../dnssec/signer';
import { lowerName } from '../dnssec/keys';
import { nameToWire, typeBitmap } from '../rrtype/wire';
import type { ReplyPlan } from './resolve';
import type { ZoneData } from './store';
import { RCODE } from './wire/constants';
import { parentName, textToLabels } from './wire/name';
import { rdataBytes, typeCode } from './wire/writer';
import type { WireRecord } from './wire/writer';

/** RFC 9824 §2: the NXNAME meta-type in an NSEC bitmap says the name does not exist. */
export const NXNAME = 128;
const SIGNER_POS = { file: '(dnssec)', line: 0, col: 0 };

/** Canonical wire of a presentation name (lower case, uncompressed). */
function canonicalName(name: string): Buffer {
  const n = name.endsWith('.') && !name.endsWith('\\.') ? name.slice(0, -1) : name;
  return lowerName(nameToWire(n));
}

/** RFC 4034 §6.2: RDATA in canonical form (embedded names of the listed types lower-cased, uncompressed). */
export function canonicalRdata(rec: ZoneRecord): Buffer {
  const d = rec.data as Record<string, unknown>;
  switch (rec.type) {
    case 'NS':
    case 'CNAME':
    case 'PTR':
    case 'DNAME':
      return canonicalName(String(rec.data));
    case 'MX': {
      const head = Buffer.alloc(2);
      head.writeUInt16BE(Number(d.preference) || 0, 0);
      return Buffer.concat([head, canonicalName(String(d.exchange))]);
    }
    case 'SOA': {
      const tail = Buffer.alloc(20);
      ['serial', 'refresh', 'retry', 'expire', 'minimum'].forEach((k, i) => tail.writeUInt32BE(Number(d[k]) >>> 0, i * 4));
      return Buffer.concat([canonicalName(String(d.mname)), canonicalName(String(d.rname)), tail]);
    }
    case 'SRV': {
      const r = rdataBytes(rec).subarray(2);
      return Buffer.concat([r.subarray(0, 6), lowerName(r.subarray(6))]);
    }
    default:
      return rdataBytes(rec).subarray(2);
  }
}

const raw = (name: string, type: string, ttl: number, data: Buffer): WireRecord => ({
  rec: { name, type, class: 'IN', ttl, data, pos: SIGNER_POS } as ZoneRecord,
  owner: name,
  ttl,
});

/** `\DDD` presentation of one label's octets (letters, digits, '-' and '_' as they are). */
function labelText(b: Buffer): string {
  let s = '';
  for (const c of b) s += (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f ? String.fromCharCode(c) : `\\${String(c).padStart(3, '0')}`;
  return s;
}

/**
 * A name just before `name` in canonical order (RFC 4034 §6.1) with the same parent: the last
 * octet of the first label decremented and the label filled with 0xff (RFC 4471 §3.1.2's idea),
 * or the label shortened when it ends in 0x00. No name can sit between it and `name` but its own
 * descendants, which do not exist.
 */
export function predecessor(name: string): string {
  const [first] = textToLabels(name);
  const parent = parentName(name);
  if (!first) return name;
  const lower = lowerName(Buffer.concat([Buffer.from([first.length]), first, Buffer.from([0])])).subarray(1, 1 + first.length);
  let label: Buffer;
  const last = lower[lower.length - 1]!;
  if (last === 0) {
    label = lower.subarray(0, lower.length - 1);
    if (label.length === 0) return parent;
  } else {
    let c = last - 1;
    // Canonical order compares lower-cased octets: a decrement into A–Z would sort after.
    if (c >= 0x41 && c <= 0x5a) c = 0x40;
    const room = Math.min(63 - lower.length, 255 - nameToWire(name).length);
    label = Buffer.concat([lower.subarray(0, lower.length - 1), Buffer.from([c]), Buffer.alloc(Math.max(0, room), 0xff)]);
  }
  return parent === '' ? labelText(label) : `${labelText(label)}.${parent}`;
}

/** The NSEC record at `owner`, next name `next`, with the types of `codes`. */
function nsec(owner: string, next: string, codes: number[], ttl: number): WireRecord {
  return raw(owner, 'NSEC', ttl, Buffer.concat([canonicalName(next), typeBitmap(codes)]));
}

/** The immediate successor of a name (RFC 4470 §2): `\000.name`. */
const successor = (name: string): string => (name === '' ? '\\000' : `\\000.${name}`);

/**
 * The first name after `name` and all its descendants (RFC 4471 §3.1.1): its first label with a
 * 0x00 octet appended (or its last octet incremented when the label is full). A covering NSEC
 * must end there: a next name below `name` would say that `name` exists as an empty non-terminal.
 */
export function successorAfterDescendants(name: string): string {
  const [first] = textToLabels(name);
  if (!first) return name;
  const parent = parentName(name);
  const lower = lowerName(Buffer.concat([Buffer.from([first.length]), first, Buffer.from([0])])).subarray(1, 1 + first.length);
  let label: Buffer;
  if (lower.length < 63) label = Buffer.concat([lower, Buffer.from([0])]);
  else {
    label = Buffer.from(lower);
    let c = label[62]! + 1;
    if (c >= 0x41 && c <= 0x5a) c = 0x5b;
    label[62] = Math.min(c, 0xff);
  }
  return parent === '' ? labelText(label) : `${labelText(label)}.${parent}`;
}

/** Signs a plan of `zone` (which has a signer); the plan's records are not changed. */
export function signPlan(zone: ZoneData, p: ReplyPlan): ReplyPlan {
  const signer = zone.signer as ZoneSigner;
  const negTtl = zone.negativeSoa().ttl;
  const sign = (section: WireRecord[], skip?: (w: WireRecord) => boolean): WireRecord[] => {
    const out: WireRecord[] = [];
    for (let i = 0; i < section.length; ) {
      const first = section[i]!;
      let j = i + 1;
      while (j < section.length && section[j]!.owner === first.owner && section[j]!.rec.type === first.rec.type) j++;
      const set = section.slice(i, j);
      out.push(...set);
      i = j;
      if (first.synthesized || skip?.(first)) continue;
      const wildcard = first.rec.name.startsWith('*.') || first.rec.name === '*';
      const signedOwner = wildcard ? first.rec.name : first.owner;
      const sigs = signer.sign({ owner: canonicalName(signedOwner), type: typeCode(first.rec.type), ttl: first.rec.ttl, rdatas: set.map((w) => canonicalRdata(w.rec)) });
      for (const s of sigs) out.push(raw(first.owner, 'RRSIG', first.ttl, s));
    }
    return out;
  };
  const signNsec = (w: WireRecord): WireRecord[] => [w, ...signer.sign({ owner: canonicalName(w.owner), type: 47, ttl: w.ttl, rdatas: [w.rec.data as Buffer] }).map((s) => raw(w.owner, 'RRSIG', w.ttl, s))];
  const out: ReplyPlan = { ...p, answer: sign(p.answer), authority: [], additional: p.additional };
  if (p.referral) {
    // RFC 4035 §3.1.4: NS (unsigned, the child's), then DS and its RRSIG, or the NSEC without DS.
    const cut = p.authority[0]?.owner;
    out.authority = [...p.authority];
    const node = cut !== undefined ? zone.nodes.get(cut) : undefined;
    const ds = node?.get('DS');
    if (cut !== undefined && ds && ds.length > 0) out.authority.push(...sign(ds.map((r) => ({ rec: r, owner: cut, ttl: r.ttl }))));
    else if (cut !== undefined && node) out.authority.push(...signNsec(nsec(cut, successor(cut), [...[...node.keys()].map(typeCode), 46, 47], negTtl)));
  } else {
    out.authority = sign(p.authority);
  }
  // Additional data inside the zone and above any cut is authoritative and signed; glue is not.
  out.additional = sign(p.additional, (w) => zone.findCut(w.owner) !== undefined || !zone.nodes.has(w.owner));
  const d = p.denial;
  if (d) {
    const codes = d.nx ? [46, 47, NXNAME] : [...new Set([...d.types.map(typeCode), 46, 47])];
    out.authority.push(...signNsec(nsec(d.name, successor(d.name), codes, negTtl)));
    // RFC 9824 §3: the name that does not exist is answered NOERROR, its NSEC saying NXNAME.
    if (d.nx && out.rcode === RCODE.NXDOMAIN) out.rcode = RCODE.NOERROR;
  }
  // RFC 4035 §3.1.3.3: a wildcard answer proves the next closer name does not exist.
  const proved = new Set<string>();
  for (const w of p.answer) {
    const wildcard = w.rec.name.startsWith('*.') || w.rec.name === '*';
    if (!wildcard || w.owner === w.rec.name || w.synthesized) continue;
    const ce = parentName(w.rec.name);
    let next = w.owner;
    while (parentName(next) !== ce) next = parentName(next);
    if (proved.has(next)) continue;
    proved.add(next);
    out.authority.push(...signNsec(nsec(predecessor(next), successorAfterDescendants(next), [46, 47], negTtl)));
  }
  return out;
}
