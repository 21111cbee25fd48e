/**
 * Online signing of one zone (RFC 4034 §3, RFC 4035 §2.2): RRSIG RDATA for an RRset in canonical
 * form, made by the keys active now, kept in a bounded cache keyed by the RRset's content and the
 * key set so a hot dynamic name costs a signature only when its answer changes. Pure apart from
 * the signing itself: the clock is injected.
 */
import type { DnssecSettings } from './settings';
import { FLAG_SEP, dsRdata, keyState, lowerName } from './keys';
import type { Algorithm, ZoneKey } from './keys';
import { nameToWire } from '../rrtype/wire';

/** RR type codes the signer needs. */
export const T = { DNSKEY: 48, RRSIG: 46, NSEC: 47, DS: 43, CDS: 59, CDNSKEY: 60 } as const;

/** An RRset as signed: canonical owner (lower-case, uncompressed), RDATA in canonical form. */
export interface RRsetInput {
  /** Canonical wire owner; for a wildcard expansion, the wildcard's own name (`*.example`). */
  owner: Buffer;
  type: number;
  /** Original TTL. */
  ttl: number;
  rdatas: Buffer[];
}

/** The keys in use at one instant. */
export interface KeyUse {
  published: ZoneKey[];
  /** Sign the RRsets other than DNSKEY/CDS/CDNSKEY (ZSKs, or CSKs where no ZSK is active). */
  zsk: ZoneKey[];
  /** Sign the DNSKEY, CDS and CDNSKEY RRsets. */
  ksk: ZoneKey[];
  /** SEP keys whose CDS/CDNSKEY are published. */
  sync: ZoneKey[];
  /** Identifies this key use (changes when a key is published, activated, retired). */
  epoch: string;
}

/** Counters for /metrics. */
export interface SignerCounters {
  signatures: Map<Algorithm, number>;
  cacheHits: number;
  errors: number;
}

interface Cached {
  sigs: Buffer[];
  /** Seconds: re-sign from then on. */
  renewAt: number;
}

/** Number of labels of a canonical wire name, not counting the root nor a leading `*` (RFC 4034 §3.1.3). */
export function labelCount(wire: Buffer): number {
  let n = 0;
  for (let i = 0; i < wire.length && wire[i] !== 0; i += wire[i]! + 1) n++;
  if (wire[0] === 1 && wire[1] === 0x2a) n--;
  return n;
}

/** RFC 4034 §6.3: canonical RR order is by RDATA octets, left-justified, shorter first on a tie. */
function byRdata(a: Buffer, b: Buffer): number {
  return Buffer.compare(a, b);
}

/** FNV-1a of a string: the deterministic spread of expirations. */
function spread(s: string, range: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return range <= 0 ? 0 : (h >>> 0) % range;
}

export class ZoneSigner {
  readonly counters: SignerCounters = { signatures: new Map(), cacheHits: 0, errors: 0 };
  /** Wire form of the zone's name (the RRSIG signer's name). */
  readonly apex: Buffer;
  private cache = new Map<string, Cached>();
  private use: { at: number; use: KeyUse } | undefined;

  constructor(
    readonly zone: string,
    readonly keys: ZoneKey[],
    readonly settings: Pick<DnssecSettings, 'validity' | 'refresh' | 'inceptionOffset'>,
    /** Milliseconds since the epoch. */
    private readonly clock: () => number = Date.now,
    readonly cacheLimit = 100_000,
  ) {
    this.apex = lowerName(nameToWire(zone));
  }

  /** Seconds since the epoch. */
  now(): number {
    return Math.floor(this.clock() / 1000);
  }

  /** Which keys are published and sign at `now` (seconds; default: the clock). */
  keysAt(now = this.now()): KeyUse {
    if (this.use && this.use.at === now) return this.use.use;
    const published: ZoneKey[] = [];
    const active: ZoneKey[] = [];
    const sync: ZoneKey[] = [];
    for (const k of this.keys) {
      const s = keyState(k, now);
      if (s.published) published.push(k);
      if (s.active) active.push(k);
      if (s.sync) sync.push(k);
    }
    const zsk: ZoneKey[] = [];
    const ksk: ZoneKey[] = [];
    // RFC 6840 §5.11: every algorithm in use signs every RRset; per algorithm, the SEP keys sign
    // the key sets and the other keys the rest (a CSK, a SEP key alone, does both).
    for (const alg of new Set(active.map((k) => k.algorithm))) {
      const of = active.filter((k) => k.algorithm === alg);
      const sep = of.filter((k) => (k.flags & FLAG_SEP) !== 0);
      const other = of.filter((k) => (k.flags & FLAG_SEP) === 0);
      zsk.push(...(other.length > 0 ? other : sep));
      ksk.push(...(sep.length > 0 ? sep : other));
    }
    const epoch = [published, zsk, ksk, sync].map((l) => l.map((k) => k.tag).join(',')).join('/');
    const use = { published, zsk, ksk, sync, epoch };
    this.use = { at: now, use };
    return use;
  }

  /** DNSKEY RDATAs of the published keys. */
  dnskeys(now = this.now()): Buffer[] {
    return this.keysAt(now).published.map((k) => k.dnskey);
  }

  /** CDS (SHA-256) and CDNSKEY RDATAs of the SEP keys in their sync window (RFC 7344 §4). */
  cds(now = this.now()): { cds: Buffer[]; cdnskey: Buffer[] } {
    const sync = this.keysAt(now).sync;
    return { cds: sync.map((k) => dsRdata(this.zone, k.dnskey)), cdnskey: sync.map((k) => k.dnskey) };
  }

  /** The DS RDATA (SHA-256) of every published SEP key: what the parent should hold. */
  ds(now = this.now()): Buffer[] {
    return this.keysAt(now).published.filter((k) => (k.flags & FLAG_SEP) !== 0).map((k) => dsRdata(this.zone, k.dnskey));
  }

  /**
   * RRSIG RDATAs over `set`, from the cache while they have more than `refresh` left. An empty
   * list when no key is active (counted as an error: validators will call the answer bogus).
   */
  sign(set: RRsetInput): Buffer[] {
    const now = this.now();
    const use = this.keysAt(now);
    const keyed = set.type === T.DNSKEY || set.type === T.CDS || set.type === T.CDNSKEY;
    const signers = keyed ? use.ksk : use.zsk;
    if (signers.length === 0) {
      this.counters.errors++;
      return [];
    }
    const rdatas = [...set.rdatas].sort(byRdata).filter((r, i, a) => i === 0 || !r.equals(a[i - 1]!));
    const id = `${use.epoch}|${set.type}|${set.ttl}|${set.owner.toString('latin1')}|${rdatas.map((r) => r.toString('latin1')).join('\u0001')}`;
    const hit = this.cache.get(id);
    if (hit && hit.renewAt > now) {
      this.counters.cacheHits++;
      // Least recently used goes first: a hit moves to the end of the Map's order.
      this.cache.delete(id);
      this.cache.set(id, hit);
      return hit.sigs;
    }
    const { validity, refresh, inceptionOffset } = this.settings;
    const inception = now - inceptionOffset;
    // Expirations spread over up to a quarter of the refresh window, the same for the same RRset.
    const expiration = now + validity - spread(id.slice(use.epoch.length), Math.min(Math.floor(refresh / 4), 86400));
    const labels = labelCount(set.owner);
    const rrs: Buffer[] = [];
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(set.type, 0);
    fixed.writeUInt16BE(1, 2);
    fixed.writeUInt32BE(set.ttl >>> 0, 4);
    for (const r of rdatas) {
      fixed.writeUInt16BE(r.length, 8);
      rrs.push(set.owner, Buffer.from(fixed), r);
    }
    const data = Buffer.concat(rrs);
    const sigs: Buffer[] = [];
    for (const k of signers) {
      const head = Buffer.alloc(18);
      head.writeUInt16BE(set.type, 0);
      head[2] = k.algorithm;
      head[3] = labels;
      head.writeUInt32BE(set.ttl >>> 0, 4);
      head.writeUInt32BE(expiration >>> 0, 8);
      head.writeUInt32BE(inception >>> 0, 12);
      head.writeUInt16BE(k.tag, 16);
      const rdata = Buffer.concat([head, this.apex]);
      let sig: Buffer;
      try {
        sig = k.sign(Buffer.concat([rdata, data]));
      } catch {
        this.counters.errors++;
        continue;
      }
      this.counters.signatures.set(k.algorithm, (this.counters.signatures.get(k.algorithm) ?? 0) + 1);
      sigs.push(Buffer.concat([rdata, sig]));
    }
    if (this.cache.size >= this.cacheLimit) {
      // Bounded: the least recently used entry goes.
      const first = this.cache.keys().next().value as string;
      this.cache.delete(first);
    }
    this.cache.set(id, { sigs, renewAt: expiration - refresh });
    return sigs;
  }

  /** Cached signature sets (for tests and /metrics). */
  get cached(): number {
    return this.cache.size;
  }
}
