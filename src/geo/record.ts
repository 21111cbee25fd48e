import type { GeoPoint } from '../model/geo-point';

/** What a geo database says about one network, whichever layout it uses. */
export interface GeoFacts {
  /** Coordinates, when the record has valid ones. */
  location?: GeoPoint;
  /** ISO 3166-1 alpha-2 country code. */
  country?: string;
  /** Continent code (AF, AN, AS, EU, NA, OC, SA), when the layout has one. */
  continent?: string;
  /** City or region name, for explain output. */
  label?: string;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A finite number, or a numeric string (some flat databases store text), else undefined. */
function num(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  return undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function point(lat: unknown, lon: unknown): GeoPoint | undefined {
  const la = num(lat);
  const lo = num(lon);
  if (la === undefined || lo === undefined || Math.abs(la) > 90 || Math.abs(lo) > 180) return undefined;
  return { lat: la, lon: lo };
}

function englishName(v: unknown): string | undefined {
  return isObj(v) && isObj(v.names) ? str(v.names.en) : undefined;
}

/**
 * Reads a record in either supported layout:
 * - GeoIP2/GeoLite2-City: `location.latitude`, `location.longitude`, `country.iso_code`,
 *   `continent.code`, `city.names.en` (falling back to `registered_country.iso_code`);
 * - flat (ip-location-db): `latitude`, `longitude`, `country_code`, `city`/`state1`.
 * Returns empty facts for anything else (a network without coordinates is "unknown location").
 */
export function parseGeoRecord(record: unknown): GeoFacts {
  if (!isObj(record)) return {};
  const facts: GeoFacts = {};
  if (isObj(record.location) || isObj(record.country) || isObj(record.continent)) {
    const loc = isObj(record.location) ? point(record.location.latitude, record.location.longitude) : undefined;
    if (loc) facts.location = loc;
    const country = (isObj(record.country) ? str(record.country.iso_code) : undefined)
      ?? (isObj(record.registered_country) ? str(record.registered_country.iso_code) : undefined);
    if (country) facts.country = country;
    const continent = isObj(record.continent) ? str(record.continent.code) : undefined;
    if (continent) facts.continent = continent;
    const label = englishName(record.city) ?? englishName(record.country);
    if (label) facts.label = label;
    return facts;
  }
  const loc = point(record.latitude, record.longitude);
  if (loc) facts.location = loc;
  const country = str(record.country_code);
  if (country) facts.country = country;
  const continent = str(record.continent_code);
  if (continent) facts.continent = continent;
  const label = str(record.city) ?? str(record.state1);
  if (label) facts.label = label;
  return facts;
}
