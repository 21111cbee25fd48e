import { expect } from 'chai';
import { ClusterPickRoute } from '../../src/l7/cluster/route';
import { clusterPickAvailability, servicePickAvailability } from '../../src/l7/signals/availability';
import { pickPriorityThenWeight } from '../../src/pick/priority-then-weight';
import type { MemberLiveState, MemberStateSource } from '../../src/pick/types';
import { TrustedProxies, clientAddress } from '../../src/l7/proxy/headers';

function source(states: Record<string, MemberLiveState>): MemberStateSource {
  return { version: 1, get: (tier, service, member) => states[`${tier}/${service}/${member}`] };
}

const live = (factor: number, address: string, ready = true): MemberLiveState => ({ present: true, ready, factor, address });

describe('l7/cluster pick (internet-location-then-dynamic-weight)', () => {
  const clusters = [
    { name: 'east', weight: 10, dynamic: true, location: { lat: 40.7, lon: -74 } },
    { name: 'west', weight: 10, dynamic: true, location: { lat: 37.8, lon: -122.4 } },
  ];
  const locate = (a: string) => (a === '203.0.113.1' ? { lat: 40, lon: -75 } : a === '198.51.100.1' ? { lat: 37, lon: -121 } : undefined);

  it('picks the nearest ready cluster for the client and forwards to its reported address', () => {
    const r = new ClusterPickRoute({ service: 'my-service', clusters, upstreamPort: 8080, locate, source: source({ 'cluster/my-service/east': live(1, '127.0.2.1'), 'cluster/my-service/west': live(1, '127.0.2.2') }) });
    expect(r.pick('203.0.113.1', new Set())).to.deep.equal({ key: 'east', origin: 'http://127.0.2.1:8080' });
    expect(r.pick('198.51.100.1', new Set())).to.deep.equal({ key: 'west', origin: 'http://127.0.2.2:8080' });
  });
  it('reaches a cluster on the port it reported with its address (anypick.port), else on upstreamPort', () => {
    const r = new ClusterPickRoute({ service: 'my-service', clusters, upstreamPort: 8080, locate, source: source({ 'cluster/my-service/east': { ...live(1, '127.0.2.1'), port: 9443 }, 'cluster/my-service/west': live(1, '127.0.2.2') }) });
    expect(r.pick('203.0.113.1', new Set())).to.deep.equal({ key: 'east', origin: 'http://127.0.2.1:9443' });
    expect(r.pick('198.51.100.1', new Set())).to.deep.equal({ key: 'west', origin: 'http://127.0.2.2:8080' });
  });
  it('spills to the next group when the nearest is not ready, and says why when nothing is', () => {
    const r = new ClusterPickRoute({ service: 'my-service', clusters, upstreamPort: 8080, locate, source: source({ 'cluster/my-service/east': live(0, '127.0.2.1', false), 'cluster/my-service/west': live(1, '127.0.2.2') }) });
    expect((r.pick('203.0.113.1', new Set()) as { key: string }).key).to.equal('west');
    expect(r.pick('203.0.113.1', new Set(['west']))).to.be.a('string').and.match(/no cluster ready/);
  });
  it('clusters with neither a reported nor a block address are skipped', () => {
    const r = new ClusterPickRoute({ service: 'my-service', clusters, upstreamPort: 8080, source: source({}) });
    expect(r.candidates()).to.deep.equal([]);
  });
  it('dynamic factors (mode preference) weight clusters in the same group', () => {
    const near = [
      { name: 'a', weight: 10, dynamic: true, location: { lat: 40.7, lon: -74 } },
      { name: 'b', weight: 10, dynamic: true, location: { lat: 40.8, lon: -74.1 } },
    ];
    let x = 0;
    const r = new ClusterPickRoute({ service: 's', clusters: near, upstreamPort: 1, locate, random: () => (x = (x + 0.618034) % 1), source: source({ 'cluster/s/a': live(1, '127.0.0.1'), 'cluster/s/b': live(0.25, '127.0.0.2') }) });
    const n = { a: 0, b: 0 };
    for (let i = 0; i < 10000; i++) n[(r.pick('203.0.113.1', new Set()) as { key: 'a' | 'b' }).key]++;
    expect(n.a / 10000).to.be.closeTo(0.8, 0.02);
  });

  describe('availability published upward', () => {
    const m = (name: string, ready = true) => ({ name, weight: 10, ready, factor: 1 });
    const entries = (gpuReady: boolean) => [
      { name: 'service-with-gpu', priority: 10, weight: 100, members: [m('g1', gpuReady), m('g2', gpuReady)] },
      { name: 'service-without-gpu', priority: 25, weight: 250, members: [m('c1'), m('c2', false)] },
    ];
    it('preferred mode: ready fraction as is', () => {
      const a = servicePickAvailability(pickPriorityThenWeight(entries(true), { random: () => 0 }));
      expect(a).to.include({ ready: true, readiness: 1, mode: 'service-with-gpu', preferredMode: true, readyCapacity: 20, capacity: 40 });
    });
    it('utilization: 1 − mean factor of the serving ready members', () => {
      const es = [{ name: 'g', priority: 10, weight: 1, members: [{ name: 'g1', weight: 10, ready: true, factor: 0.5 }, { name: 'g2', weight: 10, ready: true, factor: 0.9 }] }];
      const a = servicePickAvailability(pickPriorityThenWeight(es, { random: () => 0 }), undefined, es);
      expect(a.utilization).to.equal(0.3);
    });
    it('fallback mode: ready fraction × 0.25', () => {
      const a = servicePickAvailability(pickPriorityThenWeight(entries(false), { random: () => 0 }));
      expect(a).to.include({ ready: true, readiness: 0.125, mode: 'service-without-gpu', preferredMode: false });
    });
    it('nothing ready: not ready, readiness 0', () => {
      const a = servicePickAvailability(pickPriorityThenWeight([{ name: 'x', priority: 1, weight: 1, members: [m('x1', false)] }], { random: () => 0 }));
      expect(a).to.include({ ready: false, readiness: 0 });
    });
    it('cluster pick: weighted ready share of its clusters', () => {
      const c = (name: string, l?: MemberLiveState) => ({ name, staticWeight: 10, dynamic: true, live: l, targets: [] });
      expect(clusterPickAvailability([c('a', live(1, '::1')), c('b', live(0.25, '::1'))])).to.include({ ready: true, readiness: 0.625 });
      expect(clusterPickAvailability([c('a', live(0, '::1', false))])).to.include({ ready: false, readiness: 0 });
    });
  });

  describe('client address behind trusted proxies', () => {
    const t = new TrustedProxies(['127.0.0.0/8', '10.0.0.0/8']);
    const table: [string, string | undefined, string][] = [
      ['203.0.113.7', '198.51.100.1', '203.0.113.7'],
      ['127.0.0.1', '198.51.100.1', '198.51.100.1'],
      ['127.0.0.1', '198.51.100.1, 10.1.1.1', '198.51.100.1'],
      ['127.0.0.1', 'garbage', '127.0.0.1'],
      ['::ffff:127.0.0.1', '198.51.100.9', '198.51.100.9'],
      ['127.0.0.1', undefined, '127.0.0.1'],
    ];
    for (const [peer, xff, want] of table) {
      it(`peer ${peer}, X-Forwarded-For ${xff ?? '(none)'} → ${want}`, () => {
        expect(clientAddress(peer, xff === undefined ? {} : { 'x-forwarded-for': xff }, t)).to.equal(want);
      });
    }
    it('invalid trusted proxy entries are refused at construction', () => {
      expect(() => new TrustedProxies(['nope'])).to.throw(TypeError);
      expect(() => new TrustedProxies(['10.0.0.0/33'])).to.throw(TypeError);
    });
  });
});
