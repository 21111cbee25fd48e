import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AddressError } from '../../src/util/ip';
import { GeoDatabase, GeoDatabaseError } from '../../src/geo/database';
import { lookupIn } from '../../src/geo/lookup';
import { SAMPLE_DB, SAMPLE_TSV, buildMmdb, requireMmdbWriter } from './support';

const US_WEST = { lat: 37.4, lon: -122.1 };
const EUROPE = { lat: 50.1, lon: 8.7 };
const ASIA = { lat: 35.7, lon: 139.7 };
const US_EAST = { lat: 40.7, lon: -74 };
const S_AMERICA = { lat: -23.5, lon: -46.6 };

describe('geo/lookup with geo-data/sample.mmdb', () => {
  let db: GeoDatabase;
  before(() => (db = GeoDatabase.open(SAMPLE_DB, { watch: false })));

  const table: [string, object | undefined, string, number, string?][] = [
    ['2001:db8:ae21:7700::', US_WEST, '2001:db8:ae21:7700::/56', 56, 'US'],
    ['192.0.2.10', US_WEST, '192.0.2.0/24', 24, 'US'],
    ['10.1.2.3', US_WEST, '10.1.0.0/16', 16, 'US'],
    ['2001:db8:1:ff::1', US_WEST, '2001:db8:1::/48', 48, 'US'],
    ['127.0.0.1', US_WEST, '127.0.0.0/24', 24, 'US'],
    ['::1', US_WEST, '::1/128', 128, 'US'],
    ['2001:db8:478:2800::', EUROPE, '2001:db8:478:2800::/56', 56, 'DE'],
    ['198.51.100.1', EUROPE, '198.51.100.0/24', 24, 'DE'],
    ['10.2.0.9', EUROPE, '10.2.0.0/16', 16, 'DE'],
    ['2001:db8:2::5', EUROPE, '2001:db8:2::/48', 48, 'DE'],
    ['127.0.1.1', EUROPE, '127.0.1.0/24', 24, 'DE'],
    ['2001:db8:c001:e400::', ASIA, '2001:db8:c001:e400::/56', 56, 'JP'],
    ['203.0.113.77', ASIA, '203.0.113.0/24', 24, 'JP'],
    ['10.3.0.1', ASIA, '10.3.0.0/16', 16, 'JP'],
    ['2001:db8:3::1', ASIA, '2001:db8:3::/48', 48, 'JP'],
    ['127.0.2.1', ASIA, '127.0.2.0/24', 24, 'JP'],
    // IPv4-mapped IPv6 (what a dual-stack socket reports) is looked up and scoped as IPv4.
    ['::ffff:10.3.0.1', ASIA, '10.3.0.0/16', 16, 'JP'],
    ['::ffff:127.0.1.1', EUROPE, '127.0.1.0/24', 24, 'DE'],
    ['10.4.1.1', US_EAST, '10.4.0.0/16', 16, 'US'],
    ['2001:db8:4::1', US_EAST, '2001:db8:4::/48', 48, 'US'],
    ['10.5.1.1', S_AMERICA, '10.5.0.0/16', 16, 'BR'],
    ['127.0.4.9', S_AMERICA, '127.0.4.0/24', 24, 'BR'],
  ];
  for (const [ip, loc, network, prefix, country] of table) {
    it(`${ip} → ${network}`, () => {
      const m = db.lookup(ip);
      expect(m).to.include({ found: true, network, prefixLength: prefix, country });
      expect(m.location).to.deep.equal(loc);
    });
  }

  it('reports the network of an unknown address too (its prefix is still the ECS scope)', () => {
    const m = db.lookup('8.8.8.8');
    expect(m.found).to.equal(false);
    expect(m.location).to.equal(undefined);
    expect(m.network).to.equal(`8.0.0.0/${m.prefixLength}`);
    expect(m.prefixLength).to.be.within(1, 8);
  });

  it('normalizes an IPv6-terms prefix returned for IPv4 (IPv4 at ::/96 in an IPv6 tree)', () => {
    // A reader that walks from the root reports 96 + the IPv4 length, as ::a.b.c.d lookups do.
    const fromRoot = { getWithPrefixLength: (ip: string): [unknown, number] => [{ latitude: 1, longitude: 2 }, ip.includes(':') ? 112 : 112] };
    expect(lookupIn(fromRoot, '10.3.0.1')).to.include({ prefixLength: 16, network: '10.3.0.0/16', family: 4 });
    expect(lookupIn(fromRoot, '2001:db8::1')).to.include({ prefixLength: 112, network: '2001:db8::/112', family: 6 });
  });

  it('rejects an address that is not one', () => {
    expect(() => db.lookup('example.com')).to.throw(AddressError);
  });

  it('fails clearly on a missing or invalid file', () => {
    expect(() => GeoDatabase.open('/nonexistent/geo.mmdb', { watch: false })).to.throw(GeoDatabaseError, /cannot read/);
    const dir = mkdtempSync(join(tmpdir(), 'anypick-geo-'));
    try {
      writeFileSync(join(dir, 'bad.mmdb'), 'not an mmdb');
      expect(() => GeoDatabase.open(join(dir, 'bad.mmdb'), { watch: false })).to.throw(GeoDatabaseError, /not a valid MMDB/).with.property('code', 'E_GEO_DB');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('geo/database reload', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'anypick-geo-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function nextReload(db: GeoDatabase, events: [boolean, Error?][]): Promise<[boolean, Error?]> {
    return new Promise((resolve) => {
      const start = events.length;
      const t = setInterval(() => {
        if (events.length > start) { clearInterval(t); resolve(events[start]); }
      }, 20);
    });
  }

  it('keeps the old database when the new file is broken, swaps in a good one (rename and rewrite)', async function () {
    requireMmdbWriter(this);
    const file = join(dir, 'geo.mmdb');
    writeFileSync(file, readFileSync(SAMPLE_DB));
    const events: [boolean, Error?][] = [];
    const db = GeoDatabase.open(file, { debounceMs: 50, onReload: (ok, err) => events.push([ok, err]) });
    try {
      expect(db.lookup('10.2.0.1').label).to.equal('europe: clients');
      // A broken file replaces it: logged, old database kept.
      let next = nextReload(db, events);
      writeFileSync(join(dir, 'tmp'), 'garbage');
      require('node:fs').renameSync(join(dir, 'tmp'), file);
      const [ok, err] = await next;
      expect(ok).to.equal(false);
      expect(err).to.be.instanceOf(GeoDatabaseError);
      expect(db.lookup('10.2.0.1').label).to.equal('europe: clients');
      expect(db.generation).to.equal(0);
      // A good new file (flat layout, different labels) arrives by rename: swapped in.
      buildMmdb(SAMPLE_TSV, join(dir, 'new.mmdb'), 'flat');
      next = nextReload(db, events);
      require('node:fs').renameSync(join(dir, 'new.mmdb'), file);
      expect((await next)[0]).to.equal(true);
      expect(db.generation).to.equal(1);
      const m = db.lookup('10.2.0.1');
      expect(m).to.include({ found: true, country: 'DE', label: 'europe: clients', prefixLength: 16 });
      expect(m.continent).to.equal(undefined); // the flat layout has no continent
      // Rewritten in place with the city layout again. A reload may catch the file half
      // written (that one fails and keeps the old database); the next event completes it.
      writeFileSync(file, readFileSync(SAMPLE_DB));
      for (let i = 0; i < 100 && db.lookup('10.2.0.1').continent !== 'EU'; i++) await new Promise((r) => setTimeout(r, 50));
      expect(db.lookup('10.2.0.1').continent).to.equal('EU');
      expect(events.at(-1)?.[0]).to.equal(true);
    } finally {
      db.close();
    }
  });
});
