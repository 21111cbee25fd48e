/**
 * Several geo databases used as one (`--geoip-db` given more than once): free distributions
 * ship IPv4 and IPv6 as separate files (ip-location-db), so each lookup goes to the databases
 * that hold its address family, in the order given.
 */
import { networkOf, parseAddress, unmapV4, formatAddress } from '../util/ip';
import { GeoDatabase } from './database';
import type { GeoDatabaseOptions } from './database';
import type { GeoMatch, GeoNetwork } from './lookup';

/**
 * Geo databases routed by address family: an IPv4 address (IPv4-mapped IPv6 included) is
 * looked up in the databases that hold IPv4 (IPv4 trees, and IPv6 trees with networks under
 * ::/96), an IPv6 address in the IPv6 trees; it is never walked through an IPv4-only tree.
 * The first database with a record for the address answers. The reported network is the
 * longest one consulted, so that its length is a valid ECS scope: every address in it gets
 * the same answer from each database asked. An address no database of its family holds is
 * "location unknown" in ::/0 (or 0.0.0.0/0). Each file is reloaded on its own when it changes.
 */
export class GeoDatabases {
  private constructor(readonly databases: readonly GeoDatabase[]) {}

  /** Opens every file (throws GeoDatabaseError naming the first that is missing or invalid). */
  static open(files: readonly string[], opts: GeoDatabaseOptions = {}): GeoDatabases {
    const opened: GeoDatabase[] = [];
    try {
      for (const f of files) opened.push(GeoDatabase.open(f, opts));
    } catch (err) {
      for (const db of opened) db.close();
      throw err;
    }
    return new GeoDatabases(opened);
  }

  /** The files, in lookup order. */
  get files(): string[] {
    return this.databases.map((d) => d.file);
  }

  /** Changes when any of the files is reloaded. */
  get generation(): number {
    let g = 0;
    for (const d of this.databases) g += d.generation;
    return g;
  }

  /** The databases that hold `family`, in the order given (evaluated per call: a reload may change it). */
  private of(family: 4 | 6): GeoDatabase[] {
    return this.databases.filter((d) => d.holds(family));
  }

  /** Looks up an IPv4 or IPv6 address (throws AddressError when it is not one). */
  lookup(ip: string): GeoMatch {
    const bytes = unmapV4(parseAddress(ip));
    const family = bytes.length === 4 ? 4 : 6;
    let longest = 0;
    for (const d of this.databases) {
      if (!d.holds(family)) continue;
      const m = d.lookup(ip);
      if (m.found) return longest > m.prefixLength ? { ...m, prefixLength: longest, network: networkOf(bytes, longest) } : m;
      longest = Math.max(longest, m.prefixLength);
    }
    return { address: formatAddress(bytes), family, prefixLength: longest, network: networkOf(bytes, longest), found: false };
  }

  /** Looks up 4 or 16 address bytes, as `lookup` does, without making strings when one database answers. */
  lookupBytes(address: Uint8Array): GeoNetwork {
    const dbs = this.databases;
    // The usual cases first: one database, or the first one of the family finds the address.
    // One database handles families itself (an IPv6 walk of an IPv4 tree finds nothing in ::/0).
    if (dbs.length === 1) return dbs[0].lookupBytes(address);
    const family = familyOf(address);
    let longest = 0;
    for (const d of dbs) {
      if (!d.holds(family)) continue;
      const m = d.lookupBytes(address);
      if (m.found) return longest > m.prefixLength ? { ...m, prefixLength: longest, network: networkOf(unmapV4(address), longest) } : m;
      longest = Math.max(longest, m.prefixLength);
    }
    return unknown(address, longest);
  }

  /** Stops watching every file. */
  close(): void {
    for (const d of this.databases) d.close();
  }
}

/** 4 for IPv4 and IPv4-mapped IPv6 bytes, else 6. */
function familyOf(address: Uint8Array): 4 | 6 {
  return unmapV4(address).length === 4 ? 4 : 6;
}

function unknown(address: Uint8Array, prefixLength = 0): GeoNetwork {
  const bytes = unmapV4(address);
  return { family: bytes.length === 4 ? 4 : 6, prefixLength, network: networkOf(bytes, prefixLength), found: false };
}
