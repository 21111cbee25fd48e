import { Reader } from 'maxmind';
import type { Response } from 'maxmind';
import type { GeoPoint } from '../pick/types';
import { ipv4PrefixFromTree, networkOf, parseAddress, unmapV4, formatAddress } from './address';
import { parseGeoRecord } from './record';
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

/** Minimal reader surface, so tests can pass any MMDB reader. */
export interface MmdbReader {
  getWithPrefixLength(ip: string): [unknown, number];
}

/**
 * Looks an address up in an opened MMDB reader. IPv4 (and IPv4-mapped IPv6) addresses are
 * looked up as IPv4 and their prefix length is reported in IPv4 terms even when the database
 * is an IPv6 tree (IPv4 at ::/96). Throws AddressError for an invalid address.
 */
export function lookupIn(reader: MmdbReader, ip: string): GeoMatch {
  const bytes = unmapV4(parseAddress(ip));
  const family = bytes.length === 4 ? 4 : 6;
  const address = formatAddress(bytes);
  const [record, rawPrefix] = reader.getWithPrefixLength(address);
  const prefixLength = family === 4 ? ipv4PrefixFromTree(rawPrefix) : rawPrefix;
  const facts = record ? parseGeoRecord(record) : {};
  return { address, family, prefixLength, network: networkOf(bytes, prefixLength), found: record !== null && record !== undefined, ...facts };
}

/** Opens an MMDB file's bytes as a reader; throws when the bytes are not a valid MMDB. */
export function readerFromBuffer(bytes: Buffer): Reader<Response> {
  const reader = new Reader<Response>(bytes);
  // A reader is lazy; touch the tree once so a truncated file fails here, not on a query.
  reader.getWithPrefixLength('::');
  reader.getWithPrefixLength('0.0.0.0');
  return reader;
}
