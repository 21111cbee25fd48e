/**
 * The served data set: every zone indexed by owner name, with empty non-terminals and
 * delegation cuts, plus the dynamic responders. Built once per load, then swapped atomically.
 */
import type { Zone, ZoneRecord } from '../zone/types';
import type { DynamicResponder } from './dynamic';
import { foldedNameHash, isSubdomain, nameKey, parentName } from './wire/name';
import { rdataBytes } from './wire/writer';
import type { ZoneSigner } from '../dnssec/signer';

/** Records an online-signed zone makes itself; the zone file's copies are left out (a warning). */
const SIGNER_TYPES = new Set(['RRSIG', 'NSEC', 'NSEC3', 'NSEC3PARAM']);
const APEX_KEY_TYPES = new Set(['DNSKEY', 'CDS', 'CDNSKEY']);
/** DNSKEY/CDS/CDNSKEY TTL when the key files give none (one hour, as BIND's dnskey-ttl). */
const KEY_TTL = 3600;
const SIGNER_POS = { file: '(dnssec)', line: 0, col: 0 };

/** Thrown when zones or dynamic responders cannot be served as given. */
export class DataSetError extends Error {
  override readonly name = 'DataSetError';
  readonly code = 'E_DNS_DATASET';
}

/** One owner name: its RRsets by type (empty map = empty non-terminal, RFC 4592 §2.2.2). */
export type Node = Map<string, ZoneRecord[]>;

/** One zone, indexed. */
export class ZoneData {
  readonly nodes = new Map<string, Node>();
  /** Names below the apex that own NS records: delegation points (RFC 1034 §4.2.1). */
  readonly cuts = new Set<string>();
  /** Names that own a DNAME: everything below them is redirected (RFC 6672 §2.3). */
  readonly dnames = new Set<string>();

  /** Records of the zone file an online signer replaces (RRSIG, NSEC…, apex DNSKEY/CDS/CDNSKEY). */
  readonly replaced: ZoneRecord[] = [];
  private keySets: { epoch: string; sets: Map<string, ZoneRecord[]> } | undefined;

  constructor(readonly zone: Zone, readonly signer?: ZoneSigner) {
    const origin = zone.origin;
    this.nodes.set(origin, new Map());
    for (const rec of zone.records) {
      if (signer && (SIGNER_TYPES.has(rec.type) || (rec.name === origin && APEX_KEY_TYPES.has(rec.type)))) {
        this.replaced.push(rec);
        continue;
      }
      if (!isSubdomain(rec.name, origin)) {
        throw new DataSetError(`${rec.pos.file}:${rec.pos.line}:${rec.pos.col}: ${rec.name} is outside zone ${origin || '.'}`);
      }
      if (!['NS', 'CNAME', 'PTR', 'DNAME', 'MX', 'SOA'].includes(rec.type)) rdataBytes(rec);
      let node = this.nodes.get(rec.name);
      if (!node) {
        node = new Map();
        this.nodes.set(rec.name, node);
        // Empty non-terminals: every ancestor up to the apex exists (RFC 4592 §2.2.2).
        for (let p = parentName(rec.name); !this.nodes.has(p); p = parentName(p)) this.nodes.set(p, new Map());
      }
      const set = node.get(rec.type);
      if (set) set.push(rec);
      else node.set(rec.type, [rec]);
      if (rec.type === 'NS' && rec.name !== origin) this.cuts.add(rec.name);
      if (rec.type === 'DNAME') this.dnames.add(rec.name);
    }
    if (!this.nodes.get(origin)?.has('SOA')) this.nodes.get(origin)!.set('SOA', [zone.soa]);
  }

  get origin(): string {
    return this.zone.origin;
  }

  /** A signed zone's DNSKEY, CDS or CDNSKEY RRset now (undefined for other types or when empty). */
  keyRecords(qtype: string): ZoneRecord[] | undefined {
    const signer = this.signer;
    if (!signer || !APEX_KEY_TYPES.has(qtype)) return undefined;
    const use = signer.keysAt();
    if (this.keySets?.epoch !== use.epoch) {
      const ttl = use.published.find((k) => k.ttl !== undefined)?.ttl ?? KEY_TTL;
      const rec = (type: string, data: Buffer): ZoneRecord => ({ name: this.origin, type, class: 'IN', ttl, data, pos: SIGNER_POS });
      const { cds, cdnskey } = signer.cds();
      this.keySets = {
        epoch: use.epoch,
        sets: new Map([
          ['DNSKEY', signer.dnskeys().map((d) => rec('DNSKEY', d))],
          ['CDS', cds.map((d) => rec('CDS', d))],
          ['CDNSKEY', cdnskey.map((d) => rec('CDNSKEY', d))],
        ]),
      };
    }
    const set = this.keySets.sets.get(qtype);
    return set && set.length > 0 ? set : undefined;
  }

  /** The apex types a signer adds (for NSEC type bitmaps). */
  keyTypes(): string[] {
    return ['DNSKEY', 'CDS', 'CDNSKEY'].filter((t) => this.keyRecords(t) !== undefined);
  }

  /** The SOA for negative answers with TTL = min(SOA TTL, SOA MINIMUM) (RFC 2308 §3). */
  negativeSoa(): { rec: ZoneRecord; owner: string; ttl: number } {
    const soa = this.zone.soa;
    const minimum = Number((soa.data as { minimum?: number }).minimum ?? soa.ttl);
    return { rec: soa, owner: this.origin, ttl: Math.min(soa.ttl, minimum) };
  }

  /** The highest delegation point at or above `name`, if any (RFC 1034 §4.3.2 step 3b). */
  findCut(name: string): string | undefined {
    const r = this.findRedirect(name);
    return r?.kind === 'cut' ? r.at : undefined;
  }

  /**
   * What the walk down from the apex to `name` meets first (RFC 1034 §4.3.2 step 3, RFC 6672
   * §3.3): a delegation point at or above `name`, or a DNAME owner strictly above it.
   */
  findRedirect(name: string): { kind: 'cut' | 'dname'; at: string } | undefined {
    if (this.cuts.size === 0 && this.dnames.size === 0) return undefined;
    const chain: string[] = [];
    for (let n = name; n !== this.origin; n = parentName(n)) {
      chain.push(n);
      if (n === '') break;
    }
    // The apex may own a DNAME (never a cut): it redirects every name below it.
    if (name !== this.origin && this.dnames.has(this.origin)) return { kind: 'dname', at: this.origin };
    for (let i = chain.length - 1; i >= 0; i--) {
      const n = chain[i] as string;
      if (this.cuts.has(n)) return { kind: 'cut', at: n };
      if (i > 0 && this.dnames.has(n)) return { kind: 'dname', at: n };
    }
    return undefined;
  }
}

/** A dynamic name in wire form: lower-cased bytes, the parser's key, its responder. */
export interface DynamicName {
  wire: Uint8Array;
  key: string;
  responder: DynamicResponder;
  /** In an online-signed zone: a DO=1 query goes to the general path, which signs. */
  signed: boolean;
}

/** Every served zone and dynamic responder; immutable once built. */
export class DataSet {
  readonly zones = new Map<string, ZoneData>();
  readonly dynamic = new Map<string, DynamicResponder>();
  /** The same responders keyed by wire-format name (the query parser's `key`), for the fast path. */
  readonly dynamicByKey = new Map<string, DynamicResponder>();
  /**
   * The same by hash of the lower-cased wire name (foldedNameHash), for the engine's allocation-free
   * path; a name whose hash another one took first is left to the general path.
   */
  readonly dynamicByHash = new Map<number, DynamicName>();

  /** Dynamic names (by the parser's key) inside online-signed zones. */
  readonly signedDynamic = new Set<string>();
  /** Number of online-signed zones. */
  readonly signed: number;

  /** `signers`: the online signer of each signed zone, by origin. */
  constructor(zones: Zone[], dynamic: DynamicResponder[] = [], signers: ReadonlyMap<string, ZoneSigner> = new Map()) {
    for (const z of zones) {
      if (this.zones.has(z.origin)) throw new DataSetError(`zone ${z.origin || '.'} is loaded twice (${z.file})`);
      this.zones.set(z.origin, new ZoneData(z, signers.get(z.origin)));
    }
    this.signed = [...this.zones.values()].filter((z) => z.signer).length;
    for (const d of dynamic) {
      const zone = this.findZone(d.name);
      if (!zone) throw new DataSetError(`dynamic name ${d.name} is not inside a served zone`);
      const cut = zone.findCut(d.name);
      if (cut) throw new DataSetError(`dynamic name ${d.name} lies at or below the delegation ${cut}`);
      if (this.dynamic.has(d.name)) throw new DataSetError(`dynamic name ${d.name} has two responders`);
      this.dynamic.set(d.name, d);
      const key = nameKey(d.name);
      this.dynamicByKey.set(key, d);
      const wire = Buffer.from(key, 'latin1');
      const h = foldedNameHash(wire, 0, wire.length);
      const signed = zone.signer !== undefined;
      if (signed) this.signedDynamic.add(key);
      if (!this.dynamicByHash.has(h)) this.dynamicByHash.set(h, { wire, key, responder: d, signed });
    }
  }

  /** The online signers of the data set's zones. */
  signers(): ZoneSigner[] {
    return [...this.zones.values()].flatMap((z) => (z.signer ? [z.signer] : []));
  }

  /** The zone with the longest origin that is a suffix of `name` (RFC 1034 §4.3.2 step 2). */
  findZone(name: string): ZoneData | undefined {
    for (let n = name; ; n = parentName(n)) {
      const z = this.zones.get(n);
      if (z) return z;
      if (n === '') return undefined;
    }
  }
}

