import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GeoDatabases } from '../geo/databases';
import type { Logger } from '../util/log';

/** The sample database shipped in the repository (used when `--geoip-db` is not given). */
export const SAMPLE_GEOIP_DB = join(__dirname, '..', '..', '..', 'geo-data', 'sample.mmdb');

/** The `--geoip-db` option of serve, check and explain (repeatable: split IPv4/IPv6 files). */
export const GEOIP_DB_OPTION = { 'geoip-db': { type: 'string', multiple: true } } as const;

/**
 * Opens the databases named by `--geoip-db` (a file name, or several: the option repeats, e.g.
 * an IPv4 and an IPv6 file), or the repository's sample database when the option is absent
 * and the file exists; `--geoip-db none` disables geo. Throws GeoDatabaseError when a named
 * file is missing or invalid.
 */
export function openGeoOption(value: unknown, opts: { watch: boolean; log?: Logger }): GeoDatabases | undefined {
  const files = (Array.isArray(value) ? value : value === undefined ? [] : [value]).map(String);
  if (files.includes('none')) return undefined;
  if (files.length) return GeoDatabases.open(files, opts);
  return existsSync(SAMPLE_GEOIP_DB) ? GeoDatabases.open([SAMPLE_GEOIP_DB], opts) : undefined;
}
