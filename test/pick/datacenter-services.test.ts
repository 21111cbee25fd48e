import { expect } from 'chai';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPaths } from '../../src/config/load';
import { datacenterServices } from '../../src/pick/datacenter-services';
import { EXAMPLE_ZONE } from '../gslb/support';
import { SEED_DIR } from '../support/seed';

const SEED = (n: string): string => join(SEED_DIR, n);

/** Loads the given seed examples (plus extra files) with an example.com zone. */
function load(seeds: string[], extra: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'anypick-dcspec-'));
  try {
    writeFileSync(join(dir, 'example.com.zone'), EXAMPLE_ZONE);
    for (const s of seeds) copyFileSync(SEED(s), join(dir, s));
    for (const [f, t] of Object.entries(extra)) writeFileSync(join(dir, f), t);
    const r = loadPaths([dir]);
    expect(r.errors.map((e) => e.format())).to.deep.equal([]);
    return datacenterServices(r.model);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('pick/datacenter-services: which services the DNS tier answers', () => {
  it('seed example 3: member lines with record targets', () => {
    const [s, ...rest] = load(['3-datacenter-pick.delivery']);
    expect(rest).to.deep.equal([]);
    expect(s).to.deep.include({ service: 'my-service', name: 'example.com', membership: false, sticky: false, options: {} });
    expect(s.members.map((m) => [m.name, m.weight, m.dynamic, m.targets[0].address, m.targets[0].network, m.targets[0].ttl])).to.deep.equal([
      ['datacenter-1', 10, true, '2001:db8:ae21:7700::', '2001:db8:ae21:7700::/56', 90],
      ['datacenter-2', 10, true, '2001:db8:0478:2800::', '2001:db8:478:2800::/56', 90],
      ['datacenter-3', 10, true, '2001:db8:c001:e400::', '2001:db8:c001:e400::/56', 90],
    ]);
  });

  it('seed example 2 is a cluster pick: not answered by DNS', () => {
    expect(load(['2-cluster-pick.delivery'])).to.deep.equal([]);
  });

  it('seed example 5 alone: the datacenter sections are the (membership) members, without targets', () => {
    const [s] = load(['4-anycast-dns.delivery', '5-delivery-global.delivery']);
    expect(s).to.deep.include({ service: 'my-service', name: 'example.com', membership: true });
    expect(s.members.map((m) => [m.name, m.targets.length])).to.deep.equal([['datacenter-1', 0]]);
  });

  it('seed examples 3 and 5 together: example 3 declares the members of example 5\'s pick', () => {
    const specs = load(['3-datacenter-pick.delivery', '4-anycast-dns.delivery', '5-delivery-global.delivery']);
    expect(specs).to.have.length(1);
    expect(specs[0].membership).to.equal(true);
    expect(specs[0].members.map((m) => m.targets[0].address)).to.deep.equal(['2001:db8:ae21:7700::', '2001:db8:0478:2800::', '2001:db8:c001:e400::']);
  });

  it('maps the strategy options', () => {
    const [s] = load([], {
      'o.delivery': `service gslb:
  listen "https://gslb.example.com"
  next-hop-strategy:
    dynamic: internet-location-then-dynamic-weight
    tolerance: 1500km
    answers: 2
    when-none-ready: none
    sticky: client-subnet
    ttl: 20
  next-hop-members:
    a 5 static "gslb.example.com A IN 90 192.0.2.1/24" location 1,2
`,
    });
    expect(s).to.deep.include({ name: 'gslb.example.com', sticky: true, ttl: 20, options: { toleranceKm: 1500, answers: 2, whenNoneReady: 'none' } });
    expect(s.members[0]).to.deep.include({ name: 'a', weight: 5, dynamic: false, location: { lat: 1, lon: 2 } });
  });
});
