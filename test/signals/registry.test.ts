import { expect } from 'chai';
import { MemberRegistry } from '../../src/signals/registry';
import { DEFAULT_WEIGHT_PARAMS } from '../../src/signals/weight';
import type { MemberId, Signal } from '../../src/signals/signal';

const DC1: MemberId = { tier: 'datacenter', service: 'my-service', member: 'datacenter-1' };
const DC2: MemberId = { tier: 'datacenter', service: 'my-service', member: 'datacenter-2' };

/** No slow start, so factors are easy to read where the ramp is not under test. */
const NO_RAMP = { ...DEFAULT_WEIGHT_PARAMS, slowStartWindowMs: 0 };

function clock(start = 1_000_000) {
  const c = { t: start, now: () => c.t };
  return c;
}

const up = (id: MemberId, at = 0, address?: string): Signal => (address ? { kind: 'presence', id, at, state: 'up', address } : { kind: 'presence', id, at, state: 'up' });
const leaving = (id: MemberId): Signal => ({ kind: 'presence', id, at: 0, state: 'leaving' });
const ready = (id: MemberId, r: number): Signal => ({ kind: 'readiness', id, at: 0, ready: r });

describe('signals/registry: membership as leases', () => {
  it('presence creates a lease that expires after the TTL without renewal', () => {
    const c = clock();
    const expired: MemberId[] = [];
    const reg = new MemberRegistry({ now: c.now, timers: false, graceMs: 0, weight: NO_RAMP, onExpire: (id) => expired.push(id) });
    reg.apply([up(DC1)]);
    expect(reg.get('datacenter', 'my-service', 'datacenter-1')).to.deep.equal({ present: true, ready: true, factor: 1 });
    c.t += 2999;
    reg.tick();
    expect(reg.get('datacenter', 'my-service', 'datacenter-1')!.present).to.equal(true);
    c.t += 1;
    reg.tick();
    expect(reg.get('datacenter', 'my-service', 'datacenter-1')).to.deep.equal({ present: false, ready: false, factor: 0 });
    expect(expired).to.deep.equal([DC1]);
    expect(reg.expiries).to.equal(1);
  });

  it('renewal extends the lease', () => {
    const c = clock();
    const reg = new MemberRegistry({ now: c.now, timers: false, graceMs: 0, weight: NO_RAMP });
    for (let i = 0; i < 5; i++) {
      reg.apply([up(DC1)]);
      c.t += 1000;
      reg.tick();
    }
    expect(reg.get('datacenter', 'my-service', 'datacenter-1')!.present).to.equal(true);
    expect(reg.expiries).to.equal(0);
  });

  it('leaving removes the member at once and is not counted as an expiry', () => {
    const c = clock();
    const reg = new MemberRegistry({ now: c.now, timers: false, graceMs: 0, weight: NO_RAMP });
    reg.apply([up(DC1), up(DC2)]);
    const v = reg.version;
    reg.apply([leaving(DC1)]);
    expect(reg.version).to.be.greaterThan(v);
    expect(reg.get('datacenter', 'my-service', 'datacenter-1')!.present).to.equal(false);
    expect(reg.members('datacenter', 'my-service').map((m) => m.member)).to.deep.equal(['datacenter-2']);
    expect(reg.expiries).to.equal(0);
  });

  it('not ready keeps the lease but sets factor 0 and bumps the version at once', () => {
    const c = clock();
    const reg = new MemberRegistry({ now: c.now, timers: false, graceMs: 0, weight: NO_RAMP });
    reg.apply([up(DC1), ready(DC1, 1)]);
    const v = reg.version;
    reg.apply([ready(DC1, 0)]);
    expect(reg.version).to.equal(v + 1);
    expect(reg.get('datacenter', 'my-service', 'datacenter-1')).to.deep.equal({ present: true, ready: false, factor: 0 });
  });

  it('the version does not change when nothing changed', () => {
    const c = clock();
    const reg = new MemberRegistry({ now: c.now, timers: false, graceMs: 0, weight: NO_RAMP });
    reg.apply([up(DC1)]);
    const v = reg.version;
    reg.apply([up(DC1), ready(DC1, 1)]);
    expect(reg.version).to.equal(v);
  });

  it('during the start-up grace unknown members are undefined (static), afterwards absent', () => {
    const c = clock();
    const reg = new MemberRegistry({ now: c.now, timers: false, leaseMs: 3000 });
    expect(reg.starting).to.equal(true);
    expect(reg.get('datacenter', 'my-service', 'datacenter-1')).to.equal(undefined);
    reg.apply([up(DC2)]);
    expect(reg.get('datacenter', 'my-service', 'datacenter-2')!.present).to.equal(true);
    c.t += 3000;
    const v = reg.version;
    reg.tick();
    expect(reg.version).to.be.greaterThan(v);
    expect(reg.starting).to.equal(false);
    expect(reg.get('datacenter', 'my-service', 'datacenter-1')).to.deep.equal({ present: false, ready: false, factor: 0 });
  });

  it('members seen during grace do not ramp; a member coming back later does', () => {
    const c = clock();
    const reg = new MemberRegistry({ now: c.now, timers: false, leaseMs: 3000 });
    reg.apply([up(DC1)]);
    expect(reg.get('datacenter', 'my-service', 'datacenter-1')!.factor).to.equal(1);
    c.t += 3000;
    reg.apply([up(DC2)]);
    expect(reg.get('datacenter', 'my-service', 'datacenter-2')!.factor).to.equal(0.1);
    for (let i = 0; i < 5; i++) {
      c.t += 1000;
      reg.apply([up(DC1), up(DC2)]);
    }
    expect(reg.get('datacenter', 'my-service', 'datacenter-2')!.factor).to.equal(0.5);
  });

  it('a member turning ready again ramps up', () => {
    const c = clock();
    const reg = new MemberRegistry({ now: c.now, timers: false, graceMs: 0 });
    reg.apply([up(DC1), ready(DC1, 0)]);
    for (let i = 0; i < 5; i++) {
      c.t += 1000;
      reg.apply([up(DC1), ready(DC1, 0)]);
    }
    reg.apply([up(DC1), ready(DC1, 1)]);
    expect(reg.get('datacenter', 'my-service', 'datacenter-1')!.factor).to.equal(0.1);
  });

  it('keeps the reported address while present', () => {
    const c = clock();
    const reg = new MemberRegistry({ now: c.now, timers: false, graceMs: 0, weight: NO_RAMP });
    reg.apply([up(DC1, 0, '2001:db8:ae21:7700::1')]);
    expect(reg.get('datacenter', 'my-service', 'datacenter-1')!.address).to.equal('2001:db8:ae21:7700::1');
  });

  it('ignores signals that are not subscribed', () => {
    const c = clock();
    const reg = new MemberRegistry({ now: c.now, timers: false, graceMs: 0, weight: NO_RAMP, subscribed: new Set(['presence', 'readiness', 'utilization'] as const) });
    reg.apply([up(DC1), { kind: 'errors', id: DC1, at: 0, ratio: 1 }]);
    expect(reg.get('datacenter', 'my-service', 'datacenter-1')!.factor).to.equal(1);
  });

  it('the digest depends on membership and weights, not on order of arrival', () => {
    const c = clock();
    const a = new MemberRegistry({ now: c.now, timers: false, graceMs: 0, weight: NO_RAMP });
    const b = new MemberRegistry({ now: c.now, timers: false, graceMs: 0, weight: NO_RAMP });
    a.apply([up(DC1), up(DC2)]);
    b.apply([up(DC2), up(DC1)]);
    expect(a.digest()).to.equal(b.digest());
    b.apply([ready(DC2, 0.5)]);
    expect(a.digest()).to.not.equal(b.digest());
  });

  it('with timers on, a lease that ran out before its timer was armed still ends (a stalled process)', async () => {
    // Every clock read is 100 ms after the previous one: the lease (60 ms) has run out by the
    // time the registry arms its timer after apply().
    let t = 1_000_000;
    const reg = new MemberRegistry({ graceMs: 0, leaseMs: 60, now: () => (t += 100) });
    try {
      reg.apply([up(DC1)]);
      expect(reg.get('datacenter', 'my-service', 'datacenter-1')!.present).to.equal(true);
      const v = reg.version;
      for (let i = 0; i < 100 && reg.version === v; i++) await new Promise((r) => setTimeout(r, 10));
      expect(reg.get('datacenter', 'my-service', 'datacenter-1')!.present).to.equal(false);
    } finally {
      reg.close();
    }
  });

  it('with timers on, a lease runs out by itself', async () => {
    const reg = new MemberRegistry({ graceMs: 0, leaseMs: 60 });
    try {
      reg.apply([up(DC1)]);
      expect(reg.get('datacenter', 'my-service', 'datacenter-1')!.present).to.equal(true);
      // No apply() and no reads that evaluate: only the registry's own timer can end the lease.
      const v = reg.version;
      for (let i = 0; i < 200 && reg.version === v; i++) await new Promise((r) => setTimeout(r, 10));
      expect(reg.version, 'the timer never ran').to.be.greaterThan(v);
      expect(reg.get('datacenter', 'my-service', 'datacenter-1')!.present).to.equal(false);
    } finally {
      reg.close();
    }
  });
});
