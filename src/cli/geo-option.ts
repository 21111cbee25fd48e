import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GeoDatabase } from '../geo/database';
import type { Logger } from '../util/log';

/** The sample database shipped in the repository (used when `--geoip-db` is not given). */
export const SAMPLE_GEOIP_DB = join(__dirname, '..', '..', '..', 'geo-data', 'sample.mmdb');

/** The `--geoip-db` option of serve, check and explain. */
export const GEOIP_DB_OPTION = { 'geoip-db': { type: 'string' } } as const;

/**
 * Opens the database named by `--geoip-db`, or the repository's sample database when the
 * option is absent and the file exists; `--geoip-db none` disables geo. Throws
 * GeoDatabaseError when a named file is missing or invalid.
 */
export function openGeoOption(value: unknown, opts: { watch: boolean; log?: Logger }): GeoDatabase | undefined {
  if (value === 'none') return undefined;
  if (typeof value === 'string') return GeoDatabase.open(value, opts);
  return existsSync(SAMPLE_GEOIP_DB) ? GeoDatabase.open(SAMPLE_GEOIP_DB, opts) : undefined;
}
