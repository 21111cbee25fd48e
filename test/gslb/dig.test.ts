import { expect } from 'chai';
import { copyFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { requireTools } from '../support/tools';
import { SAMPLE_DB } from '../geo/support';
import { DUAL_STACK_DELIVERY, SEED_EXAMPLE_3, dig, makeDeliveryDir, removeDir, serve } from './support';

const SEED_DIR = dirname(SEED_EXAMPLE_3);
import type { Served } from './support';

const DC1 = '2001:db8:ae21:7700::';
const DC2 = '2001:db8:0478:2800::';
const DC3 = '2001:db8:c001:e400::';

describe('gslb: anypick serve answers datacenter picks (dig, sample geo database)', function () {
  let dir: string;
  let server: Served | undefined;
  before(async function () {
    requireTools(this, 'dig');
    dir = makeDeliveryDir({ 'dual.delivery': DUAL_STACK_DELIVERY });
    server = await serve([dir, '--geoip-db', SAMPLE_DB]);
  });
  after(async () => {
    await server?.stop();
    if (dir) removeDir(dir);
  });

  // Seed example 3 exactly as written: its three blocks sit in three regions of the sample DB.
  const bySubnet: [string, string, string, string][] = [
    ['us-west', '10.1.0.0/24', DC1, '10.1.0.0/24/16'],
    ['europe', '10.2.0.0/24', DC2, '10.2.0.0/24/16'],
    ['asia', '10.3.0.0/24', DC3, '10.3.0.0/24/16'],
    ['us-east (nearest: us-west)', '10.4.7.0/24', DC1, '10.4.7.0/24/16'],
    ['south-america (nearest: europe)', '10.5.0.0/24', DC2, '10.5.0.0/24/16'],
    ['us-west IPv6', '2001:db8:1::/56', DC1, '2001:db8:1::/56/48'],
    ['europe IPv6', '2001:db8:2:ab00::/56', DC2, '2001:db8:2:ab00::/56/48'],
    ['asia IPv6', '2001:db8:3::/48', DC3, '2001:db8:3::/48/48'],
    ['europe, a datacenter block itself', '198.51.100.0/24', DC2, '198.51.100.0/24/24'],
    // FAMILY 2 with an IPv4-mapped address: placed as 10.3.0.0 (asia, a /16), scope in IPv6 bits 96 + 16.
    ['asia, IPv4-mapped in FAMILY 2', '::ffff:10.3.0.0/120', DC3, '::ffff:10.3.0.0/120/112'],
  ];
  for (const [region, subnet, want, ecs] of bySubnet) {
    it(`example.com AAAA +subnet=${subnet} (${region}) → ${want}, scope in reply ${ecs}`, async () => {
      const r = await dig(server!.port, 'example.com', 'AAAA', { subnet });
      expect(r.status).to.equal('NOERROR');
      expect(r.addresses).to.deep.equal([want.replace(':0478:', ':478:')]);
      expect(r.ttl).to.equal(90); // from the member record "example.com AAAA IN 90 …"
      expect(r.ecs).to.equal(ecs);
    });
  }

  const bySource: [string, string][] = [['127.0.0.1', DC1], ['127.0.1.1', DC2], ['127.0.2.1', DC3], ['127.0.3.9', DC1]];
  for (const [source, want] of bySource) {
    it(`without ECS the querying address decides: dig -b ${source} → ${want}`, async () => {
      const r = await dig(server!.port, 'example.com', 'AAAA', { source });
      expect(r.addresses).to.deep.equal([want.replace(':0478:', ':478:')]);
      expect(r.ecs).to.equal(undefined);
    });
  }

  it('an ECS source prefix of 0 gets a client-independent answer with scope 0 (RFC 7871 §7.1.2)', async () => {
    const r = await dig(server!.port, 'example.com', 'AAAA', { subnet: '0.0.0.0/0', source: '127.0.1.1' });
    expect(r.addresses).to.have.length(1);
    expect([DC1, DC2, DC3].map((a) => a.replace(':0478:', ':478:'))).to.include(r.addresses[0]);
    expect(r.ecs).to.equal('0.0.0.0/0/0');
  });

  it('an unknown client subnet is scoped to the database network it fell in', async () => {
    const r = await dig(server!.port, 'example.com', 'AAAA', { subnet: '8.8.8.0/24' });
    expect(r.addresses).to.have.length(1);
    expect(r.ecs).to.match(/^8\.8\.8\.0\/24\/[1-8]$/);
  });

  it('A for a name whose members have no IPv4 target is NODATA', async () => {
    const r = await dig(server!.port, 'example.com', 'A', { subnet: '10.2.0.0/24' });
    expect(r.status).to.equal('NOERROR');
    expect(r.addresses).to.deep.equal([]);
  });

  const dual: [string, string, string[]][] = [
    ['10.1.0.0/24', 'A', ['192.0.2.10']],
    ['10.2.0.0/24', 'A', ['198.51.100.10']],
    ['10.3.0.0/24', 'A', ['100.64.3.10']], // asia: not in the geo DB, placed by 'location 35.7,139.7'
    ['10.2.0.0/24', 'AAAA', ['2001:db8:ae21:7700::10']], // only west has an IPv6 target
  ];
  for (const [subnet, type, want] of dual) {
    it(`gslb.example.com ${type} +subnet=${subnet} → ${want.join(', ')}`, async () => {
      const r = await dig(server!.port, 'gslb.example.com', type, { subnet });
      expect(r.addresses).to.deep.equal(want);
      expect(r.ttl).to.equal(type === 'A' ? 60 : 30);
    });
  }
});

describe('gslb: querying over IPv6 loopback without ECS', function () {
  let dir: string;
  let server: Served | undefined;
  before(async function () {
    requireTools(this, 'dig');
    dir = makeDeliveryDir();
    server = await serve([dir, '--geoip-db', SAMPLE_DB], '::1');
  });
  after(async () => {
    await server?.stop();
    if (dir) removeDir(dir);
  });

  it('::1 is placed in us-west; ECS works over the IPv6 transport', async () => {
    const r = await dig(server!.port, 'example.com', 'AAAA', { server: '::1' });
    expect(r.addresses).to.deep.equal([DC1]);
    const e = await dig(server!.port, 'example.com', 'AAAA', { server: '::1', subnet: '2001:db8:3::/48' });
    expect(e.addresses).to.deep.equal([DC3]);
    expect(e.ecs).to.equal('2001:db8:3::/48/48');
  });
});

describe('gslb: all five seed examples together (example 3 declares example 5’s datacenter members)', function () {
  let dir: string;
  let server: Served | undefined;
  before(async function () {
    requireTools(this, 'dig');
    dir = makeDeliveryDir();
    for (const f of readdirSync(SEED_DIR).filter((n) => n.endsWith('.delivery'))) copyFileSync(join(SEED_DIR, f), join(dir, f));
    server = await serve([dir, '--geoip-db', SAMPLE_DB]);
  });
  after(async () => {
    await server?.stop();
    if (dir) removeDir(dir);
  });

  const table: [string, string][] = [['10.1.0.0/24', DC1], ['10.2.0.0/24', DC2], ['10.3.0.0/24', DC3]];
  for (const [subnet, want] of table) {
    it(`example 5's datacenter pick answers +subnet=${subnet} with example 3's member ${want}`, async () => {
      const r = await dig(server!.port, 'example.com', 'AAAA', { subnet });
      expect(r.addresses).to.deep.equal([want.replace(':0478:', ':478:')]);
      expect(r.ttl).to.equal(90);
    });
  }
});
