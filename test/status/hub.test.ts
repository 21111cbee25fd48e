import { expect } from 'chai';
import { StatusHub } from '../../src/status/hub';
import { AnswerCounts } from '../../src/pick/answer-counts';
import { memberStatuses } from '../../src/status/serve-status';
import type { DcServiceSpec } from '../../src/pick/datacenter-services';
import type { MemberLiveState } from '../../src/pick/types';

const pos = { file: 'x.delivery', line: 1, col: 1 };

describe('status: hub, answer counts and member statuses', () => {
  it('puts answers into fixed time buckets and keeps only the last N', () => {
    let now = 1_000_000;
    const hub = new StatusHub('n', '1', {}, { bucketSeconds: 5, keepBuckets: 3, keepEvents: 2 }, () => now);
    hub.addAnswers('dc1', 2);
    hub.recordAnswer('dc2');
    now += 5000;
    hub.addAnswers('dc1', 1);
    expect(hub.answers().buckets.map((b) => b.counts)).to.deep.equal([{ dc1: 2, dc2: 1 }, { dc1: 1 }]);
    for (let i = 0; i < 5; i++) {
      now += 5000;
      hub.recordAnswer(`m${i}`);
    }
    expect(hub.answers().buckets.map((b) => Object.keys(b.counts)[0])).to.deep.equal(['m2', 'm3', 'm4']);
  });

  it('keeps the newest events first, bounded', () => {
    const hub = new StatusHub('n', '1', {}, { bucketSeconds: 5, keepBuckets: 3, keepEvents: 2 }, () => 0);
    hub.event('a', '1');
    hub.event('b', '2');
    hub.event('c', '3');
    expect(hub.snapshot().events.map((e) => e.kind)).to.deep.equal(['c', 'b']);
  });

  it('AnswerCounts.drain returns the increments since the last drain', () => {
    const c = new AnswerCounts();
    c.add('s', 'a');
    c.add('s', 'a');
    c.add('t', 'b');
    expect(c.drain()).to.deep.equal([{ service: 's', member: 'a', n: 2 }, { service: 't', member: 'b', n: 1 }]);
    expect(c.drain()).to.deep.equal([]);
    c.add('s', 'a');
    expect(c.drain()).to.deep.equal([{ service: 's', member: 'a', n: 1 }]);
  });

  it('members: static until signals know them, then live; dyn weight scaled, static weight not', () => {
    const spec: DcServiceSpec = {
      service: 'svc', name: 'example.com', membership: false, options: {}, sticky: false, pos,
      members: [
        { name: 'dc1', weight: 10, dynamic: true, targets: [{ address: '2001:db8::', family: 6, network: '2001:db8::/56', pos }], pos },
        { name: 'dc2', weight: 20, dynamic: false, targets: [{ address: '2001:db8:1::', family: 6, network: '2001:db8:1::/56', pos }], pos },
        { name: 'dc3', weight: 5, dynamic: true, targets: [{ address: '2001:db8:2::', family: 6, network: '2001:db8:2::/56', pos }], pos },
      ],
    };
    const live: Record<string, MemberLiveState & { utilization?: number }> = {
      dc1: { present: true, ready: true, factor: 0.5, address: '2001:db8::1', utilization: 0.5 },
      dc2: { present: true, ready: true, factor: 0.25 },
    };
    const state = {
      version: 1,
      get: (_t: string, _s: string, m: string) => live[m],
      snapshot: () => [
        ...Object.entries(live).map(([member, st]) => ({ tier: 'datacenter', service: 'svc', member, ...st })),
        { tier: 'cluster', service: 'svc', member: 'c1', present: true, ready: false, factor: 0 },
      ],
    };
    const out = memberStatuses({ specs: () => [spec], state });
    expect(out.map((m) => [m.member, m.source, m.factor, m.effectiveWeight, m.utilization, m.address])).to.deep.equal([
      ['dc1', 'signals', 0.5, 5, 0.5, '2001:db8::1'],
      ['dc2', 'signals', 1, 20, undefined, '2001:db8:1::'],
      ['dc3', 'static', 1, 5, undefined, '2001:db8:2::'],
      ['c1', 'signals', 0, 0, undefined, undefined],
    ]);
    expect(out[3].tier).to.equal('cluster');
  });
});
