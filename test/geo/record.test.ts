import { expect } from 'chai';
import { parseGeoRecord } from '../../src/geo/record';

describe('geo/record', () => {
  const cases: [string, unknown, object][] = [
    ['GeoIP2-City layout',
      { city: { names: { en: 'Frankfurt' } }, continent: { code: 'EU' }, country: { iso_code: 'DE' }, location: { latitude: 50.1, longitude: 8.7 } },
      { location: { lat: 50.1, lon: 8.7 }, country: 'DE', continent: 'EU', label: 'Frankfurt' }],
    ['GeoIP2 without city, registered_country only',
      { registered_country: { iso_code: 'JP', names: { en: 'Japan' } }, continent: { code: 'AS' }, location: { latitude: 35.7, longitude: 139.7 } },
      { location: { lat: 35.7, lon: 139.7 }, country: 'JP', continent: 'AS' }],
    ['GeoIP2 country-only record (no coordinates)',
      { country: { iso_code: 'US', names: { en: 'United States' } } },
      { country: 'US', label: 'United States' }],
    ['flat ip-location-db layout',
      { latitude: -23.5, longitude: -46.6, country_code: 'BR', city: 'São Paulo' },
      { location: { lat: -23.5, lon: -46.6 }, country: 'BR', label: 'São Paulo' }],
    ['flat layout with numeric strings',
      { latitude: '37.4', longitude: '-122.1', country_code: 'US', state1: 'California' },
      { location: { lat: 37.4, lon: -122.1 }, country: 'US', label: 'California' }],
    // DB-IP lite City (dbip-city-lite-*.mmdb): GeoIP2-compatible names, with extra fields.
    ['DB-IP lite City layout',
      { city: { names: { en: 'Frankfurt am Main' } }, continent: { code: 'EU', geoname_id: 6255148, names: { en: 'Europe' } }, country: { geoname_id: 2921044, is_in_european_union: true, iso_code: 'DE', names: { en: 'Germany' } }, location: { latitude: 50.1109, longitude: 8.68213 }, subdivisions: [{ names: { en: 'Hesse' } }] },
      { location: { lat: 50.1109, lon: 8.68213 }, country: 'DE', continent: 'EU', label: 'Frankfurt am Main' }],
    // ip-location-db's GeoLite2 flat records keep empty strings for unknown fields.
    ['flat ip-location-db record with empty city and state',
      { city: '', country_code: 'US', latitude: 37.750999, longitude: -97.821999, postcode: '', state1: '', state2: '', timezone: 'America/Chicago' },
      { location: { lat: 37.750999, lon: -97.821999 }, country: 'US' }],
    ['out-of-range coordinates are no location', { latitude: 91, longitude: 0, country_code: 'XX' }, { country: 'XX' }],
    ['non-numeric coordinates are no location', { location: { latitude: 'north', longitude: 1 } }, {}],
    ['null', null, {}],
    ['a string', 'DE', {}],
    ['an ASN record', { autonomous_system_number: 64500 }, {}],
  ];
  for (const [what, record, want] of cases) {
    it(`reads ${what}`, () => expect(parseGeoRecord(record)).to.deep.equal(want));
  }
});
