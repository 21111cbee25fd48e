/**
 * Zone files: an RFC 1035 master-file parser producing records whose `data` is in the
 * shape dns-packet encodes, or RDATA octets (src/rrtype kind `raw`). See docs/zone-files.md.
 */
export type { Zone, ZoneRecord } from './types';
export { parseZone, loadZoneFile, originFromFileName, MAX_INCLUDE_DEPTH } from './parser';
export type { ParseZoneOptions } from './parser';
export { MAX_TTL, parseDuration } from './values';
