import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SAMPLE_DB } from '../geo/support';
import { MAIN, DUAL_STACK_DELIVERY, makeDeliveryDir, removeDir, run } from './support';

const explain = (dir: string, ...args: string[]) => run(process.execPath, [MAIN, 'explain', ...args, dir, '--geoip-db', SAMPLE_DB]);

describe('gslb: anypick explain', () => {
  let dir: string;
  before(() => (dir = makeDeliveryDir({ 'dual.delivery': DUAL_STACK_DELIVERY })));
  after(() => removeDir(dir));

  it('prints the client location, every member, the pick, the reason and the ECS scope (text)', async () => {
    const r = await explain(dir, 'example.com', '--client', '10.3.0.0/24');
    expect(r.code, r.stderr).to.equal(0);
    const out = r.stdout;
    expect(out).to.contain('example.com AAAA (service my-service, internet-location-then-dynamic-weight)');
    expect(out).to.contain('client:  10.3.0.0 (EDNS Client Subnet), subnet 10.3.0.0/24');
    expect(out).to.contain('geo:     10.3.0.0/16 → 35.7,139.7 JP/AS (asia: clients)');
    const rows = out.split('\n').filter((l) => l.startsWith('datacenter-'));
    expect(rows.map((l) => l.split(/\s+/)[0])).to.deep.equal(['datacenter-3', 'datacenter-1', 'datacenter-2']);
    expect(rows[0]).to.match(/^datacenter-3\s+35.7,139.7\s+geo 2001:db8:c001:e400::\/56\s+0 km\s+1\s+yes\s+10\s+1\s+10\s+\*$/);
    expect(rows[1]).to.match(/^datacenter-1\s+37.4,-122.1\s+geo 2001:db8:ae21:7700::\/56\s+8316 km\s+2\s+yes/);
    expect(out).to.match(/reason: {2}nearest group 1 \(nearest datacenter-3 at 0 km, tolerance 500 km\); picked datacenter-3 by weight/);
    expect(out).to.contain('answer:  example.com 90 IN AAAA 2001:db8:c001:e400::');
    expect(out).to.contain('ECS scope: /16');
  });

  it('--json has the same decision in machine form; NAME may be the service name', async () => {
    const r = await explain(dir, 'my-service', '--client', '127.0.1.1', '--json');
    expect(r.code, r.stderr).to.equal(0);
    const j = JSON.parse(r.stdout);
    expect(j).to.include({ service: 'my-service', name: 'example.com', qtype: 'AAAA', group: 1, ecsScope: 24 });
    expect(j.client).to.deep.include({ address: '127.0.1.1', source: 'query', subnet: '127.0.1.0/24', network: '127.0.1.0/24', prefixLength: 24, found: true, country: 'DE' });
    expect(j.picked).to.deep.equal(['datacenter-2']);
    expect(j.members.map((m: { name: string; group: number }) => [m.name, m.group])).to.deep.equal([['datacenter-2', 1], ['datacenter-1', 2], ['datacenter-3', 2]]);
    expect(j.members[0]).to.deep.include({ locationSource: 'geo', geoNetwork: '2001:db8:478:2800::/56', distanceKm: 0, ready: true, staticWeight: 10, factor: 1, weight: 10, picked: true });
    expect(j.answer).to.deep.equal([{ name: 'example.com', type: 'AAAA', ttl: 90, data: '2001:db8:0478:2800::' }]);
  });

  it('explains A answers and explicit locations', async () => {
    const r = await explain(dir, 'gslb.example.com', '--client', '10.3.0.0/24', '--type', 'A', '--json');
    expect(r.code, r.stderr).to.equal(0);
    const j = JSON.parse(r.stdout);
    expect(j.picked).to.deep.equal(['asia']);
    expect(j.members[0]).to.deep.include({ name: 'asia', locationSource: 'explicit', location: { lat: 35.7, lon: 139.7 } });
  });

  it('without a geo database every client location is unknown and the scope is 0', async () => {
    const r = await run(process.execPath, [MAIN, 'explain', 'example.com', '--client', '10.3.0.1', '--geoip-db', 'none', '--json', dir]);
    const j = JSON.parse(r.stdout);
    expect(j.reason).to.match(/^client location unknown: all 3 ready members form one group/);
    expect(j.ecsScope).to.equal(0);
    expect(j.members.every((m: { group: number }) => m.group === 1)).to.equal(true);
  });

  const bad: [string[], number, RegExp][] = [
    [['nope.example.com', '--client', '10.0.0.1'], 1, /not a datacenter pick; known: my-service \(example.com\), dual \(gslb.example.com\)/],
    [['example.com'], 2, /missing --client/],
    [['example.com', '--client', '10.0.0.1/33'], 2, /prefix length must be 0..32/],
    [['example.com', '--client', 'somewhere'], 2, /expected ADDR or ADDR\/LEN/],
    [['example.com', '--client', '10.0.0.1', '--type', 'MX'], 2, /expected A or AAAA/],
    [['example.com', '--client', '10.0.0.1', '--type', 'A'], 1, /has no A targets/],
  ];
  for (const [args, code, msg] of bad) {
    it(`exits ${code} for: explain ${args.join(' ')}`, async () => {
      const r = await explain(dir, ...args);
      expect(r.code).to.equal(code);
      expect(r.stderr).to.match(msg);
    });
  }

  it('exits 2 without NAME', async () => {
    const r = await run(process.execPath, [MAIN, 'explain', '--client', '10.0.0.1']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/missing NAME/);
  });

  it('exits 3 when the geo database cannot be read', async () => {
    const r = await run(process.execPath, [MAIN, 'explain', 'example.com', '--client', '10.0.0.1', '--geoip-db', join(dir, 'missing.mmdb'), dir]);
    expect(r.code).to.equal(3);
    expect(r.stderr).to.match(/cannot read geo database/);
  });
});

describe('gslb: anypick check warns about members without a location', () => {
  let dir: string;
  before(() => {
    dir = makeDeliveryDir();
    writeFileSync(join(dir, 'other.delivery'), `service other:
  listen "https://other.example.com"
  next-hop-strategy:
    dynamic: internet-location-then-dynamic-weight
  next-hop-members:
    placed 10 dyn 2001:db8:ae21:7700::/56
    lost 10 dyn 2001:db8:9999::/48
    pinned 10 dyn 2001:db8:9998::/48 location 1.5,2.5
`);
  });
  after(() => removeDir(dir));

  it('warns (exit 0) for the member neither located nor found in the geo database', async () => {
    const r = await run(process.execPath, [MAIN, 'check', dir, '--geoip-db', SAMPLE_DB]);
    expect(r.code, r.stderr).to.equal(0);
    const warnings = r.stderr.split('\n').filter((l) => l.includes('has no location'));
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.match(/other\.delivery:7:5: warning: member 'lost' of other has no location \(its block 2001:db8:9999::\/48 is not in the geo database\)/);
  });

  it('warns for every member without explicit coordinates when there is no geo database', async () => {
    const r = await run(process.execPath, [MAIN, 'check', dir, '--geoip-db', 'none']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr.split('\n').filter((l) => l.includes('no geo database to place its block'))).to.have.length(5);
  });
});
