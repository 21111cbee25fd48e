import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadPaths } from '../../src/config/load';
import { declaringService, dnsServices, servingTier } from '../../src/config/walk';
import { loadTree } from './helpers';
import type { DeliveryModel } from '../../src/config/model';
import { SEED_DIR } from '../support/seed';

const ROOT = join(__dirname, '..', '..', '..');
const SEED = SEED_DIR;

/** Every reference object anywhere in the model (objects with kind, text and pos). */
function refs(model: DeliveryModel): { text: string; resolved?: unknown }[] {
  const out: { text: string; resolved?: unknown }[] = [];
  const seen = new Set<unknown>();
  const visit = (v: unknown, inRef: boolean): void => {
    if (v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v)) { v.forEach((x) => visit(x, false)); return; }
    const o = v as Record<string, unknown>;
    if (!inRef && typeof o.text === 'string' && o.pos && ['control', 'list', 'membership', 'dynamic-weight', 'check', 'application'].includes(o.kind as string)) {
      out.push(o as { text: string; resolved?: unknown });
      return;
    }
    for (const [k, x] of Object.entries(o)) if (k !== 'resolved') visit(x, false);
  };
  visit(model, false);
  return out;
}

function seedFile(n: number): string {
  const f = readdirSync(SEED).find((x) => x.startsWith(`${n}-`));
  if (!f) throw new Error(`seed example ${n} missing`);
  return join(SEED, f);
}

describe('config: seed examples', function () {
  it('finds the five seed examples', () => {
    expect(readdirSync(SEED).filter((f) => f.endsWith('.delivery'))).to.have.length(5);
  });

  for (const n of [1, 2, 3, 4, 5]) {
    it(`example ${n} loads on its own with every reference resolved`, () => {
      const r = loadPaths([seedFile(n)]);
      expect(r.errors.map((e) => e.format())).to.deep.equal([]);
      const all = refs(r.model);
      if (n !== 2 && n !== 3) expect(all.length).to.be.greaterThan(0);
      for (const ref of all) expect(ref.resolved, ref.text).to.not.equal(undefined);
    });
  }

  it('example 1: admit and next-hop resolve to the control and the list', () => {
    const { model } = loadPaths([seedFile(1)]);
    const s = model.services[0];
    expect(s.admit?.resolved?.uri?.path).to.equal('/api/*');
    expect(s.admit?.resolved?.schema?.path).to.equal('example.com/api/openapi-v3.schema.json');
    expect(s.nextHop?.resolved?.entries.map((e) => [e.name, e.priority, e.weight])).to.deep.equal([
      ['service-with-gpu', 10, { kind: 'static', value: 100, pos: { file: seedFile(1), line: 9, col: 13 } }],
      ['service-without-gpu', 25, { kind: 'static', value: 250, pos: { file: seedFile(1), line: 12, col: 13 } }],
    ]);
  });

  it('example 2: block members with dyn weights', () => {
    const { model } = loadPaths([seedFile(2)]);
    const s = model.services[0];
    expect(s.listen?.host).to.equal('example.com');
    expect(s.strategy).to.include({ name: 'internet-location-then-dynamic-weight', dynamic: true });
    expect(s.members?.kind).to.equal('static');
    if (s.members?.kind !== 'static') return;
    expect(s.members.members.map((m) => [m.name, m.weight, m.dynamic, m.targets[0].block.network])).to.deep.equal([
      ['cluster-1', 10, true, '2001:db8:ae21:77dc::/64'],
      ['cluster-2', 10, true, '2001:db8:ae21:7781::/64'],
      ['cluster-3', 10, true, '2001:db8:ae21:7739::/64'],
    ]);
  });

  it('example 3: record members answer ADDR exactly as written, inside their /56', () => {
    const { model } = loadPaths([seedFile(3)]);
    const dns = dnsServices(model);
    expect(dns).to.have.length(1);
    const s = dns[0].service;
    if (s.members?.kind !== 'static') throw new Error('static members expected');
    const t = s.members.members[1].targets[0];
    expect(t.record).to.deep.equal({ owner: 'example.com', type: 'AAAA', class: 'IN', ttl: 90 });
    expect(t.block).to.include({ address: '2001:db8:0478:2800::', prefixLength: 56, network: '2001:db8:478:2800::/56', family: 6 });
  });

  it('example 4: the neighbor, 4-octet peer ASN and the check reference', () => {
    const { model } = loadPaths([seedFile(4)]);
    const [dns, ar] = model.processes;
    expect(dns.listen).to.include({ address: '2001:db8::53', family: 6 });
    expect(dns.run?.unit).to.equal('systemd.bind9.service');
    expect(ar.neighbors[0]).to.include({ address: '2001:db8:0478:2853::5353', localAddress: '2001:db8:c001:e453::5353', localAsn: 64511, peerAsn: 65536 });
    expect(ar.bgp?.resolved).to.include({ name: 'dns', process: 'announce-routes', kind: 'dns' });
    expect(model.applications.map((a) => [a.name, a.processes.map((p) => p.name)])).to.deep.equal([['anycast-dns', ['dns', 'announce-routes']]]);
  });

  it('example 5 alone pulls in example 4 for infra.application.anycast-dns', () => {
    const r = loadPaths([seedFile(5)]);
    expect(r.files.map((f) => relative(SEED, f))).to.deep.equal(['5-delivery-global.delivery', '4-anycast-dns.delivery']);
    const d = r.model.deliveries[0];
    expect(d.anycastDns?.resolved?.processes.map((p) => p.name)).to.deep.equal(['dns', 'announce-routes']);
  });

  it('example 5: tiers, scopes and signal-fed references', () => {
    const { model } = loadPaths([seedFile(4), seedFile(5)]);
    const d = model.deliveries[0];
    expect(d.datacenterPick?.members?.kind).to.equal('dynamic');
    if (d.datacenterPick?.members?.kind !== 'dynamic') return;
    const dcRef = d.datacenterPick.members.ref;
    expect(dcRef.resolved).to.include({ kind: 'service', name: 'my-service', tier: 'datacenter' });
    expect(dcRef.subscriptions?.map((s) => `${s.signal}@${s.channel}`)).to.deep.equal(['presence@availability']);
    const cp = d.datacenters[0].clusterPick;
    expect(d.datacenters.map((x) => x.name)).to.deep.equal(['datacenter-1']);
    expect(cp?.services[0].admit?.resolved?.name).to.equal('my-uri');
    const sp = cp?.clusters[0].servicePick;
    expect(cp?.clusters.map((x) => x.name)).to.deep.equal(['cluster-1']);
    expect(sp?.service).to.include({ name: 'my-service', tier: 'service' });
    expect(sp?.service.strategy).to.include({ name: 'priority-then-weight', dynamic: false });
    const entry = sp?.service.nextHop?.resolved?.entries[0];
    expect(entry?.members?.kind === 'dynamic' && entry.members.ref.resolved).to.include({ kind: 'list-entry', name: 'service-with-gpu' });
    expect(entry?.weight?.kind === 'dynamic' && entry.weight.ref.subscriptions?.length).to.equal(2);
  });

  it('all five together: one service at three tiers, example 3 declaring example 5’s datacenter members', () => {
    const r = loadPaths([SEED]);
    expect(r.errors.map((e) => e.format())).to.deep.equal([]);
    for (const ref of refs(r.model)) expect(ref.resolved, ref.text).to.not.equal(undefined);
    // Examples 1, 2 and 3 each write `service my-service`: the service, cluster and datacenter pick.
    const top = r.model.services.filter((s) => s.name === 'my-service');
    expect(top.map((s) => `${relative(SEED, s.pos.file)} ${servingTier(s)}`)).to.deep.equal([
      '1-service-pick.delivery service',
      '2-cluster-pick.delivery cluster',
      '3-datacenter-pick.delivery datacenter',
    ]);
    // DNS answers example.com once: example 5's dynamic pick, with example 3's member lines.
    const dns = dnsServices(r.model);
    expect(dns.map((p) => `${relative(SEED, p.service.pos.file)} ${p.service.listen?.host}`)).to.deep.equal(['5-delivery-global.delivery example.com']);
    const declared = declaringService(r.model, dns[0].service);
    expect(declared && relative(SEED, declared.pos.file)).to.equal('3-datacenter-pick.delivery');
  });

  it('a second service of the same name at the same tier is still a duplicate', () => {
    const { errors } = loadTree({
      'a.delivery': 'service s:\n  listen "https://a.example/"\n  next-hop-strategy:\n    dynamic: internet-location-then-dynamic-weight\n  next-hop-members:\n    m1 10 dyn 2001:db8::/64\n',
      'b.delivery': 'service s:\n  listen "https://b.example/"\n  next-hop-strategy:\n    dynamic: internet-location-then-dynamic-weight\n  next-hop-members:\n    m2 10 dyn 2001:db8:1::/64\n',
    });
    expect(errors).to.have.length(1);
    expect(errors[0]).to.match(/b\.delivery:1:9: duplicate datacenter-pick service 's' \(first defined at .*a\.delivery:1:9\)$/);
  });

  it('two datacenter picks answering one name in DNS are an error', () => {
    const { errors } = loadTree({
      'a.delivery': 'service s:\n  listen "https://a.example"\n  next-hop-strategy:\n    dynamic: internet-location-then-dynamic-weight\n  next-hop-members:\n    m1 10 dyn "a.example AAAA IN 60 2001:db8::/64"\n',
      'b.delivery': 'service t:\n  listen "https://a.example"\n  next-hop-strategy:\n    dynamic: internet-location-then-dynamic-weight\n  next-hop-members:\n    m2 10 dyn "a.example AAAA IN 60 2001:db8:1::/64"\n',
    });
    expect(errors).to.have.length(1);
    expect(errors[0]).to.match(/b\.delivery:2:10: 'a\.example' is already answered by the DNS-tier service at .*a\.delivery:2:10$/);
  });
});

describe('config: repository examples (zones/ and bgp/)', () => {
  const r = loadPaths([join(ROOT, 'zones'), join(ROOT, 'bgp')]);

  it('load without errors or warnings, every reference resolved', () => {
    expect(r.errors.map((e) => e.format())).to.deep.equal([]);
    expect(r.warnings.map((e) => e.format())).to.deep.equal([]);
    expect(r.files.filter((f) => f.endsWith('.delivery')).length).to.be.greaterThanOrEqual(3);
    expect(r.zones.map((z) => z.origin)).to.include('example.com');
    for (const ref of refs(r.model)) expect(ref.resolved, ref.text).to.not.equal(undefined);
  });

  it('the DNS tier answers example.com from three located datacenters, AAAA and A each', () => {
    const dns = dnsServices(r.model);
    expect(dns.map((p) => p.service.listen?.host)).to.deep.equal(['example.com']);
    const s = dns[0].service;
    if (s.members?.kind !== 'static') throw new Error('static members expected');
    expect(s.members.members.map((m) => [m.name, m.location, m.targets.map((t) => `${t.record?.type} ${t.block.network}`)])).to.deep.equal([
      ['datacenter-1', { lat: 37.4, lon: -122.1 }, ['AAAA 2001:db8:ae21:7700::/56', 'A 192.0.2.0/24']],
      ['datacenter-2', { lat: 50.1, lon: 8.7 }, ['AAAA 2001:db8:478:2800::/56', 'A 198.51.100.0/24']],
      ['datacenter-3', { lat: 35.7, lon: 139.7 }, ['AAAA 2001:db8:c001:e400::/56', 'A 203.0.113.0/24']],
    ]);
    expect(s.strategy).to.deep.include({ toleranceKm: 500, answers: 1, whenNoneReady: 'nearest', sticky: 'client-subnet' });
  });

  it('zones/example.com.delivery alone finds its application in bgp/', () => {
    const one = loadPaths([join(ROOT, 'zones', 'example.com.delivery')]);
    expect(one.errors.map((e) => e.format())).to.deep.equal([]);
    expect(one.files.map((f) => relative(ROOT, f))).to.deep.equal(['zones/example.com.delivery', 'bgp/anycast-dns.delivery']);
  });

  it('covers every seed construct', () => {
    const m = r.model;
    const d = m.deliveries[0];
    expect(m.controls.length + m.lists.length).to.be.greaterThan(1);
    expect(m.services.map((s) => s.name)).to.include.members(['api', 'api-clusters']);
    expect(d.publish).to.have.length(4);
    expect(d.subscribe).to.have.length(3);
    expect(d.channels.map((c) => [c.name, c.endpoints.map((e) => e.text)])).to.deep.equal([
      ['availability', ['http://127.0.0.1:4318']], ['telemetry', ['http://127.0.0.1:4318']]]);
    expect([d.leaseMs, d.reportIntervalMs]).to.deep.equal([3000, 1000]);
    expect(d.datacenters.map((x) => [x.name, x.block?.network])).to.deep.equal([
      ['datacenter-1', '2001:db8:ae21:7700::/56'], ['datacenter-2', '2001:db8:478:2800::/56'], ['datacenter-3', '2001:db8:c001:e400::/56']]);
    const ar = m.processes.find((p) => p.name === 'announce-routes');
    expect(ar?.checks[0]).to.include({ kind: 'dns', intervalMs: 200, timeoutMs: 200, rise: 2, fall: 2 });
    expect(ar?.prefixes.map((p) => p.network)).to.deep.equal(['2001:db8::/48', '2001:db8:1::/48']);
    expect(ar?.drainMs).to.equal(5000);
    expect(ar?.neighbors.map((n) => [n.address, n.peerAsn, n.holdTime, n.passive, n.communities])).to.deep.equal([
      ['2001:db8:0478:2853::5353', 65536, 9, false, [64511 * 65536 + 53]], ['192.0.2.1', 64512, 90, true, []]]);
  });
});
