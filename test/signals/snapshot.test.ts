import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemberRegistry } from '../../src/signals/registry';
import { parseSnapshot, restoreSnapshot, SnapshotError, stateFilePath, writeSnapshot } from '../../src/signals/snapshot';

const id = (member: string) => ({ tier: 'datacenter' as const, service: 's', member });

describe('signals/snapshot: member state across restarts', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'anypick-snap-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A registry on a fake clock at `t` (ms), lease 3 s, grace one lease. */
  const registry = (clock: { t: number }) => new MemberRegistry({ leaseMs: 3000, now: () => clock.t, timers: false });

  it('round trip: leases (minus the age), readiness, address, ramp and utilization come back', () => {
    const a = { t: 100_000 };
    const before = registry(a);
    a.t += 4000; // past the grace: a returning member ramps
    before.apply([
      { kind: 'presence', id: id('up'), at: a.t, state: 'up', address: '2001:db8::1', port: 8443 },
      { kind: 'presence', id: id('down'), at: a.t, state: 'up' },
      { kind: 'readiness', id: id('down'), at: a.t, ready: 0 },
      { kind: 'utilization', id: id('up'), at: a.t, value: 0.5 },
    ]);
    a.t += 1000;
    const file = join(dir, 'rt.json');
    writeSnapshot(file, before, a.t);
    expect(before.get('datacenter', 's', 'up')!.factor).to.equal(0.05); // ramp 0.1 (1 s of 10) × headroom 0.5

    const b = { t: a.t + 500 }; // restarted half a second later
    const after = registry(b);
    expect(after.get('datacenter', 's', 'up')).to.equal(undefined); // unheard during grace: static
    expect(restoreSnapshot(file, after, 3000, b.t)).to.deep.equal({ restored: 2, ageMs: 500 });
    // The ramp went on during the restart (1.5 s of 10 s) and utilization still counts.
    expect(after.get('datacenter', 's', 'up')!.factor).to.be.closeTo(0.075, 0.006); // ramp 0.15 × 0.5
    expect(after.get('datacenter', 's', 'up')).to.include({ present: true, ready: true, address: '2001:db8::1', port: 8443 });
    expect(after.get('datacenter', 's', 'down')).to.include({ present: true, ready: false, factor: 0 });
    expect(after.provisional('datacenter', 's', 'up')).to.equal(true);
    expect(after.provisional('datacenter', 's', 'never-heard')).to.equal(true);
    // The lease left was 2 s at the snapshot, 1.5 s at restore: gone after that without a report.
    b.t += 1600;
    after.tick();
    expect(after.get('datacenter', 's', 'up')).to.include({ present: false, ready: false });
    // A report since start makes the state live (no longer provisional).
    after.apply([{ kind: 'presence', id: id('down'), at: b.t, state: 'up' }]);
    expect(after.provisional('datacenter', 's', 'down')).to.equal(false);
  });

  it('is restored only when younger than one lease, and skips a missing or broken file', () => {
    const c = { t: 50_000 };
    const r = registry(c);
    const file = join(dir, 'old.json');
    writeSnapshot(file, r, c.t - 3000);
    expect(restoreSnapshot(file, registry(c), 3000, c.t)).to.deep.equal({ skipped: 'too-old', ageMs: 3000 });
    expect(restoreSnapshot(join(dir, 'nope.json'), registry(c), 3000, c.t)).to.deep.equal({ skipped: 'missing' });
    writeFileSync(join(dir, 'bad.json'), '{"format":1,"writtenAt":1,"members":[{"tier":"datacenter"}]}');
    const bad = restoreSnapshot(join(dir, 'bad.json'), registry(c), 3000, c.t);
    expect(bad).to.include({ skipped: 'invalid' });
    expect(() => parseSnapshot('{"format":2}', 'x.json')).to.throw(SnapshotError, /format 1/);
    expect(() => parseSnapshot('nope', 'x.json')).to.throw(SnapshotError, /not JSON/);
  });

  it('state file: --state-file, else systemd StateDirectory, else none', () => {
    expect(stateFilePath('/tmp/x.json', {})).to.equal('/tmp/x.json');
    expect(stateFilePath('none', { STATE_DIRECTORY: '/var/lib/anypick' })).to.equal(undefined);
    expect(stateFilePath(undefined, { STATE_DIRECTORY: '/var/lib/anypick:/other' })).to.equal('/var/lib/anypick/member-state.json');
    expect(stateFilePath(undefined, {})).to.equal(undefined);
  });
});
