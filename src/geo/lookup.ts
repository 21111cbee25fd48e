import { Reader } from 'maxmind';
import type { Response } from 'maxmind';
import type { GeoPoint } from '../model/geo-point';
import { maskBytes, networkOf, parseAddress, unmapV4, formatAddress } from '../util/ip';
import { parseGeoRecord } from './record';
import { MmdbTree } from './tree';
import type { GeoFacts } from './record';

/** The answer of one geo lookup. */
export interface GeoMatch extends GeoFacts {
  /** The address looked up, canonical; IPv4-mapped IPv6 is reported as IPv4. */
  address: string;
  family: 4 | 6;
  /**
   * Length of the database network the answer came from, in the address family's own terms
   * (0..32 for IPv4, 0..128 for IPv6). Also meaningful when nothing was found: every address
   * in that network is equally unknown. This is the ECS scope a decision based on it has.
   */
  prefixLength: number;
  /** That network, `ADDR/LEN`. */
  network: string;
  /** True when the database has a record for the network. */
  found: boolean;
  location?: GeoPoint;
}

/**
 * Converts the prefix length an MMDB reader returned for an IPv4 lookup into IPv4 terms.
 * An IPv6-tree database keeps IPv4 at ::/96, so a reader that walks from the tree root (or a
 * lookup of ::a.b.c.d) reports 96 + the IPv4 length; maxmind/mmdb-lib 3 starts IPv4 lookups
 * at the ::/96 node and already reports 0..32. Both are handled: above 32 means IPv6 terms.
 */
export function ipv4PrefixFromTree(prefixLength: number): number {
  if (prefixLength > 32) return Math.max(0, prefixLength - 96);
  return prefixLength;
}

/** What a decision needs of a client's lookup: the network and what the database says of it. */
export type GeoNetwork = Omit<GeoMatch, 'address'>;

/** Minimal reader surface, so tests can pass any MMDB reader. */
export interface MmdbReader {
  getWithPrefixLength(ip: string): [unknown, number];
  /** The file's metadata; `ipVersion` 4 means an IPv4-only tree. */
  readonly metadata?: { ipVersion: number };
}

/**
 * Looks an address up in an opened MMDB reader. IPv4 (and IPv4-mapped IPv6) addresses are
 * looked up as IPv4 and their prefix length is reported in IPv4 terms even when the database
 * is an IPv6 tree (IPv4 at ::/96). An IPv6 address in an IPv4-only database is not found, in
 * the network ::/0 (nothing there can place it). Throws AddressError for an invalid address.
 */
export function lookupIn(reader: MmdbReader, ip: string): GeoMatch {
  const bytes = unmapV4(parseAddress(ip));
  const family = bytes.length === 4 ? 4 : 6;
  const address = formatAddress(bytes);
  if (family === 6 && reader.metadata?.ipVersion === 4) return { address, family, prefixLength: 0, network: networkOf(bytes, 0), found: false };
  const [record, rawPrefix] = reader.getWithPrefixLength(address);
  const prefixLength = family === 4 ? ipv4PrefixFromTree(rawPrefix) : rawPrefix;
  const facts = record ? factsOf(record) : {};
  return { address, family, prefixLength, network: networkOf(bytes, prefixLength), found: record !== null && record !== undefined, ...facts };
}

/** Facts per decoded record: the reader hands out the same object for the same record. */
const factsCache = new WeakMap<object, GeoFacts>();

function factsOf(record: unknown): GeoFacts {
  if (typeof record !== 'object' || record === null) return parseGeoRecord(record);
  let f = factsCache.get(record);
  if (!f) {
    f = parseGeoRecord(record);
    factsCache.set(record, f);
  }
  return f;
}

/** Records decoded per data-section offset, so a record is decoded once (bounded; dropped when full). */
export const DECODED_RECORD_LIMIT = 100_000;

function recordCache(): { get(key: string | number): unknown; set(key: string | number, value: unknown): void } {
  let m = new Map<string | number, unknown>();
  return {
    get: (key) => m.get(key),
    set: (key, value) => {
      if (m.size >= DECODED_RECORD_LIMIT) m = new Map();
      m.set(key, value);
    },
  };
}

/** Opens an MMDB file's bytes as a reader; throws when the bytes are not a valid MMDB. */
export function readerFromBuffer(bytes: Buffer): Reader<Response> {
  const reader = new Reader<Response>(bytes, { cache: recordCache() });
  // A reader is lazy; touch the tree once so a truncated file fails here, not on a query.
  reader.getWithPrefixLength('::');
  reader.getWithPrefixLength('0.0.0.0');
  return reader;
}

/** Bound of the per-network cache of {@link BytesLookup} (dropped when full). */
export const NETWORK_CACHE_LIMIT = 65536;

/**
 * Lookups from address bytes (the ECS option's), for the query path: walks the tree itself,
 * decodes a record once per data pointer (through the reader's public API) and builds the
 * answer once per network, so a lookup makes no strings. Gives what `lookupIn` gives, less
 * the address.
 */
export class BytesLookup {
  private readonly tree: MmdbTree;
  private facts = new Map<number, GeoFacts>();
  private networks = new Map<number | string, GeoNetwork>();
  private readonly key6 = Buffer.alloc(17);

  constructor(private readonly reader: MmdbReader, bytes: Buffer, meta: { nodeCount: number; recordSize: number; ipVersion: number }) {
    this.tree = new MmdbTree(bytes, meta);
  }

  /** Which address families the tree holds (see MmdbTree). */
  holds(family: 4 | 6): boolean {
    return family === 4 ? this.tree.holdsIPv4 : this.tree.holdsIPv6;
  }

  /** Looks up 4 or 16 address bytes (IPv4-mapped IPv6 as IPv4). */
  lookup(address: Uint8Array): GeoNetwork {
    const bytes = unmapV4(address);
    const value = this.tree.find(bytes);
    const prefix = this.tree.depth;
    const key = this.networkKey(bytes, prefix);
    let m = this.networks.get(key);
    if (!m) {
      if (this.networks.size >= NETWORK_CACHE_LIMIT) this.networks = new Map();
      const found = this.tree.isData(value);
      const family = bytes.length === 4 ? 4 : 6;
      m = { family, prefixLength: prefix, network: networkOf(bytes, prefix), found, ...(found ? this.factsAt(value, bytes) : {}) };
      this.networks.set(key, m);
    }
    return m;
  }

  /** The facts of the record `value` points at, decoded the first time through the reader. */
  private factsAt(value: number, bytes: Uint8Array): GeoFacts {
    let f = this.facts.get(value);
    if (!f) {
      const [record] = this.reader.getWithPrefixLength(formatAddress(bytes));
      f = record ? factsOf(record) : {};
      if (this.facts.size >= DECODED_RECORD_LIMIT) this.facts = new Map();
      this.facts.set(value, f);
    }
    return f;
  }

  /** A key naming the network (address masked to `prefix`, and `prefix`) without a string for IPv4. */
  private networkKey(bytes: Uint8Array, prefix: number): number | string {
    if (bytes.length === 4) {
      const a = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
      const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
      return ((a & mask) >>> 0) * 64 + prefix;
    }
    const k = maskBytes(bytes, prefix, this.key6);
    k[16] = prefix;
    return k.toString('latin1');
  }
}
