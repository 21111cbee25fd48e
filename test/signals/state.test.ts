import { expect } from 'chai';
import { MemberRegistry } from '../../src/signals/registry';
import { MemberStateMirror, publishState } from '../../src/signals/state';

const ID = { tier: 'datacenter' as const, service: 'my-service', member: 'datacenter-1' };

describe('signals/state: published registry state and the DNS side mirror', () => {
  let t = 1_000_000;
  const now = () => t;

  it('answers like the registry it mirrors: grace, presence, readiness, address, digest, lease', () => {
    const reg = new MemberRegistry({ now, timers: false, leaseMs: 3000, graceMs: 3000 });
    const mirror = new MemberStateMirror(now);
    expect(mirror.get('datacenter', 'my-service', 'datacenter-1')).to.equal(undefined); // nothing published yet: static
    reg.apply([{ kind: 'presence', id: ID, at: t, state: 'up', address: '2001:db8:ae21:7700::1', port: 8000 }, { kind: 'readiness', id: ID, at: t, ready: 0.5 }]);
    mirror.apply(publishState(reg, t));
    expect(mirror.get('datacenter', 'my-service', 'datacenter-1')).to.deep.equal(reg.get('datacenter', 'my-service', 'datacenter-1'));
    expect(mirror.get('datacenter', 'my-service', 'datacenter-2')).to.equal(undefined); // grace
    expect(mirror.digest()).to.equal(reg.digest());
    expect(mirror.members('datacenter', 'my-service')).to.deep.equal(reg.members('datacenter', 'my-service'));
    t += 1000;
    expect(mirror.snapshot()[0]!.leaseRemainingMs).to.equal(2000);
    t += 2500;
    reg.tick(); // grace over, lease run out
    mirror.apply(publishState(reg, t));
    expect(mirror.get('datacenter', 'my-service', 'datacenter-2')).to.deep.equal({ present: false, ready: false, factor: 0 });
    expect(mirror.get('datacenter', 'my-service', 'datacenter-1')!.present).to.equal(false);
    expect(mirror.expiries).to.equal(1);
    expect(mirror.version).to.equal(reg.version);
  });

  it('ignores a state older than the one it holds (a late message cannot roll state back)', () => {
    const reg = new MemberRegistry({ now, timers: false, graceMs: 0 });
    const mirror = new MemberStateMirror(now);
    reg.apply([{ kind: 'presence', id: ID, at: t, state: 'up' }]);
    const old = publishState(reg, t);
    reg.apply([{ kind: 'readiness', id: ID, at: t, ready: 0 }]);
    expect(mirror.apply(publishState(reg, t))).to.equal(true);
    expect(mirror.apply(old)).to.equal(false);
    expect(mirror.get('datacenter', 'my-service', 'datacenter-1')!.ready).to.equal(false);
  });

  it('a published state survives JSON (the cluster IPC channel) unchanged', () => {
    const reg = new MemberRegistry({ now, timers: false, graceMs: 0 });
    reg.apply([{ kind: 'presence', id: ID, at: t, state: 'up', address: '192.0.2.1' }]);
    const s = publishState(reg, t);
    expect(JSON.parse(JSON.stringify(s))).to.deep.equal(s);
  });
});
