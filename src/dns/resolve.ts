/**
 * Answer logic of the authoritative server (RFC 1034 §4.3.2 as refined by RFC 2308, RFC 4592,
 * RFC 6604 and RFC 8482): pure, from a DataSet and a question to the sections of the reply.
 */
import type { ZoneRecord } from '../zone/types';
import type { ClientInfo, DynamicAnswer } from './dynamic';
import type { DataSet, Node, ZoneData } from './store';
import { RCODE } from './wire/constants';
import { svcbTarget } from '../rrtype/wire';
import { EDE } from './wire/ede';
import { normalizeName, parentName } from './wire/name';
import type { WireRecord } from './wire/writer';
import type { Sections } from './wire/reply';

/** The sections of a reply before encoding (a referral's glue is required: dropping it means TC=1). */
export interface ReplyPlan extends Sections {
  /** False when a dynamic responder took part: the reply must not be cached. */
  cacheable: boolean;
  /** ECS scope prefix for the reply (RFC 7871 §7.2.1): 0 for static data. */
  scopePrefix: number;
  /**
   * For a signer (src/dns/sign-plan.ts): the name a negative answer is about, whether it does
   * not exist (NXDOMAIN) or lacks the type (NODATA), and the types it has.
   */
  denial?: { name: string; nx: boolean; types: string[] };
  /** The zone that answered (the parent for DS at a child apex served here too). */
  zone?: ZoneData;
}

/** Longest CNAME chain followed inside a zone. */
export const MAX_CHAIN = 16;

const wire = (rec: ZoneRecord, owner = rec.name): WireRecord => ({ rec, owner, ttl: rec.ttl });

/** Types a NODATA proof lists for `name`: the node's, plus A/AAAA a dynamic responder may answer. */
function typesAt(node: Node | undefined, dynamic: boolean): string[] {
  const out = node ? [...node].filter(([, set]) => set.length > 0).map(([t]) => t) : [];
  if (dynamic) for (const t of ['A', 'AAAA']) if (!out.includes(t)) out.push(t);
  return out;
}

function plan(rcode: number, aa: boolean): ReplyPlan {
  return { rcode, aa, answer: [], authority: [], additional: [], referral: false, cacheable: true, scopePrefix: 0 };
}

/** Names whose addresses go in the additional section (RFC 1035 §3.3.9, §3.3.11; RFC 2782; RFC 9460 §4.1). */
function additionalTargets(recs: WireRecord[]): string[] {
  const out: string[] = [];
  for (const { rec } of recs) {
    const d = rec.data as Record<string, unknown>;
    if (rec.type === 'NS') out.push(normalizeName(String(rec.data)));
    else if (rec.type === 'MX') out.push(normalizeName(String(d.exchange)));
    else if (rec.type === 'SRV') out.push(normalizeName(String(d.target)));
    else if ((rec.type === 'SVCB' || rec.type === 'HTTPS') && Buffer.isBuffer(rec.data)) {
      // RFC 9460 §4.1: addresses of the TargetName ('.' in ServiceMode is the owner itself).
      const t = svcbTarget(rec.data);
      if (t !== undefined && t !== '') out.push(t);
    }
  }
  return out;
}

/** Adds A/AAAA of in-zone targets (including glue below cuts) to the additional section. */
function addAdditional(ds: DataSet, p: ReplyPlan, recs: WireRecord[]): void {
  const seen = new Set<string>();
  for (const target of additionalTargets(recs)) {
    if (seen.has(target)) continue;
    seen.add(target);
    const node = ds.findZone(target)?.nodes.get(target);
    if (!node) continue;
    for (const t of ['A', 'AAAA']) for (const r of node.get(t) ?? []) p.additional.push(wire(r));
  }
}

/** RFC 8482 §4.2: answer ANY with one RRset of the name (the first in zone-file order). */
function minimalAny(node: Node): ZoneRecord[] | undefined {
  for (const [, set] of node) if (set.length > 0) return set;
  return undefined;
}

/**
 * RFC 1034 §4.3.2 step 3b: NS of the cut in authority, glue in additional. A bare referral has
 * AA=0; one reached through a CNAME or DNAME keeps the authoritative answer before it (AA=1).
 */
function referral(ds: DataSet, zone: ZoneData, cut: string, p: ReplyPlan = plan(RCODE.NOERROR, false)): ReplyPlan {
  p.referral = true;
  p.zone = zone;
  p.authority = (zone.nodes.get(cut)?.get('NS') ?? []).map((r) => wire(r));
  addAdditional(ds, p, p.authority);
  return p;
}

/** RFC 6672 §2.2: the name with the DNAME owner's suffix replaced by its target; undefined past 255 octets. */
function substitute(name: string, owner: string, target: string): string | undefined {
  const prefix = owner === '' ? name : name.slice(0, name.length - owner.length - 1);
  const out = target === '' ? prefix : `${prefix}.${target}`;
  // Wire length: each label's octets plus a length octet, plus the root (escapes do not occur here).
  return out.length + 2 > 255 ? undefined : out;
}

/**
 * Resolves one question. `qname` is lower-case presentation, `qtype` a mnemonic ('A', 'ANY').
 * `client` is passed to dynamic responders; without it dynamic names answer from static data.
 * `asked` is a responder's answer the caller already obtained for `name` (so it is asked once).
 */
export function resolve(ds: DataSet, qname: string, qtype: string, client?: ClientInfo, asked?: { name: string; answer: DynamicAnswer | undefined }): ReplyPlan {
  let zone = ds.findZone(qname);
  // RFC 4035 §3.1.4.1: DS belongs to the parent side of a cut; a child apex served here with its
  // parent answers DS from the parent.
  if (zone && qtype === 'DS' && zone.origin === qname && qname !== '') zone = ds.findZone(parentName(qname)) ?? zone;
  // Not authoritative and no recursion: REFUSED (RFC 1035 §4.1.1, RFC 8906 §3.1.4).
  if (!zone) return { ...plan(RCODE.REFUSED, false), ede: { code: EDE.NOT_AUTHORITATIVE, text: 'not in a zone served here' } };
  const p = plan(RCODE.NOERROR, true);
  p.zone = zone;
  const visited = new Set<string>();
  let name = qname;
  for (let step = 0; step <= MAX_CHAIN; step++) {
    visited.add(name);
    const redirect = zone.findRedirect(name);
    const cut = redirect?.kind === 'cut' ? redirect.at : undefined;
    // RFC 4035 §3.1.4.1 in spirit: DS at the cut is answered by the parent side.
    if (cut !== undefined && !(cut === name && qtype === 'DS')) {
      // RFC 1034 §4.3.2 step 3b, also at the end of a CNAME/DNAME chain: the referral.
      return p.answer.length === 0 ? referral(ds, zone, cut) : referral(ds, zone, cut, p);
    }
    if (redirect?.kind === 'dname') {
      // RFC 6672 §3.3: the DNAME, a CNAME synthesised from it (TTL of the DNAME), then the chain.
      const dname = (zone.nodes.get(redirect.at)?.get('DNAME') ?? [])[0] as ZoneRecord;
      p.answer.push(wire(dname, redirect.at));
      const target = substitute(name, redirect.at, normalizeName(String(dname.data)));
      if (target === undefined) {
        // RFC 6672 §2.2: the substituted name would be longer than 255 octets.
        p.rcode = RCODE.YXDOMAIN;
        return p;
      }
      const synth: ZoneRecord = { name, type: 'CNAME', class: 'IN', ttl: dname.ttl, data: target, pos: dname.pos };
      // RFC 4035 §3.1.3: the synthesised CNAME is not signed (validators synthesise it too).
      p.answer.push({ ...wire(synth, name), synthesized: true });
      if (qtype === 'CNAME' || visited.has(target) || ds.findZone(target) !== zone) return p;
      name = target;
      continue;
    }
    const dyn = client ? ds.dynamic.get(name) : undefined;
    if (dyn && client) {
      // Whatever it says now may change with the next query: never cache a reply that asked it.
      p.cacheable = false;
      const d = asked && asked.name === name ? asked.answer : dyn.answer(qtype, client);
      if (d) {
        p.scopePrefix = d.scopePrefix;
        if (d.records.length === 0) {
          p.authority.push(zone.negativeSoa());
          p.denial = { name, nx: false, types: typesAt(zone.nodes.get(name), true).filter((t) => t !== qtype) };
        }
        for (const r of d.records) p.answer.push(wire(r, name));
        addAdditional(ds, p, p.answer);
        return p;
      }
    }
    let node = zone.nodes.get(name);
    if (!node) {
      // RFC 4592 §3.3.1: the closest encloser is the longest existing ancestor; its "*" child
      // is the source of synthesis. An empty non-terminal exists, so it blocks the wildcard.
      let ce = parentName(name);
      while (!zone.nodes.has(ce)) ce = parentName(ce);
      node = zone.nodes.get(ce === '' ? '*' : `*.${ce}`);
      if (!node) {
        // RFC 2308 §2.1 / RFC 6604 §3: NXDOMAIN describes the last name in the chain.
        p.rcode = RCODE.NXDOMAIN;
        p.authority.push(zone.negativeSoa());
        p.denial = { name, nx: true, types: [] };
        return p;
      }
    }
    // A signed zone's apex: the key sets come from the signer (its keys' timing decides them).
    const keyed = name === zone.origin && zone.signer ? zone.keyRecords(qtype) : undefined;
    const rrs = keyed ?? (qtype === 'ANY' ? minimalAny(node) : node.get(qtype));
    if (rrs) {
      for (const r of rrs) p.answer.push(wire(r, name));
      addAdditional(ds, p, p.answer);
      return p;
    }
    const cname = node.get('CNAME');
    if (cname && qtype !== 'CNAME') {
      p.answer.push(wire(cname[0], name));
      const target = normalizeName(String(cname[0].data));
      // RFC 1034 §4.3.2 step 3a: follow the chain inside this zone only; stop on a loop.
      if (visited.has(target) || ds.findZone(target) !== zone) return p;
      name = target;
      continue;
    }
    // RFC 2308 §2.2: NODATA, the SOA in authority.
    p.authority.push(zone.negativeSoa());
    p.denial = { name, nx: false, types: [...typesAt(node, ds.dynamic.has(name)), ...(name === zone.origin ? zone.keyTypes() : [])] };
    return p;
  }
  return p;
}
