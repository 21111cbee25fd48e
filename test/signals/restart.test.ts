/**
 * Safe restarts: `anypick serve --state-file` writes the member state periodically and on
 * shutdown and restores it at start; answers relying on members not heard from since start
 * carry a TTL within the grace (≤ 10 s).
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireTools } from '../support/tools';
import { LiveRig } from '../support/live-rig';
import { DC1, DC2 } from './two-datacenters';

/** The answer records of example.com AAAA: address and TTL. */
function dig(port: number): Promise<{ address: string; ttl: number }[]> {
  return new Promise((resolve, reject) => execFile('dig', ['@127.0.0.1', '-p', String(port), '+time=2', '+tries=2', '+noall', '+answer', 'example.com', 'AAAA'], (err, out) => {
    if (err) return reject(new Error(`dig failed: ${err.message}`, { cause: err }));
    resolve(out.split('\n').filter(Boolean).map((l) => l.trim().split(/\s+/)).map((f) => ({ address: f[4], ttl: Number(f[1]) })).sort((a, b) => a.address.localeCompare(b.address)));
  }));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('signals: safe restarts (state snapshot, grace TTLs)', function () {
  this.timeout(60_000);
  let rig: LiveRig;
  let dir = '';
  before(function () {
    requireTools(this, 'dig');
    rig = new LiveRig('restart', '6s', ['tolerance: 20000km', 'answers: 2', 'when-none-ready: none']);
    dir = rig.dir;
  });
  after(() => rig.close());

  const serve = (stateFile: string) => rig.serve(['--geoip-db', 'none', '--state-file', stateFile]);

  it('a datacenter not ready before the restart is not answered after it; answers during grace have TTL ≤ 10', async () => {
    const state = join(dir, 'state', 'member-state.json');
    const first = await serve(state);
    // During the first start's grace nobody has reported: static answers, short TTLs.
    const graceAnswer = await dig(first.dns);
    expect(graceAnswer.map((a) => a.address)).to.deep.equal([DC2, DC1]);
    for (const a of graceAnswer) expect(a.ttl).to.be.within(0, 6);
    rig.report(first.signals!, 'datacenter-1');
    rig.report(first.signals!, 'datacenter-2', ['--ready', '0']);
    // Once both reported and the grace is over: datacenter-2 is not ready, datacenter-1 answers with the record TTL.
    const t0 = Date.now();
    for (;;) {
      const st = (await (await fetch(`http://127.0.0.1:${first.http}/status.json`)).json()) as { members: Array<{ member: string; present: boolean; source: string }> };
      if (st.members.filter((m) => m.present && m.source === 'signals').length === 2) break;
      if (Date.now() - t0 > 20_000) throw new Error(`reporters never registered: ${JSON.stringify(st.members)}`);
      await sleep(100);
    }
    for (;;) {
      const a = await dig(first.dns);
      if (a.length === 1 && a[0].address === DC1 && a[0].ttl === 90) break;
      if (Date.now() - t0 > 20_000) throw new Error(`never settled: ${JSON.stringify(a)}`);
      await sleep(200);
    }
    rig.stopReporters();
    expect(await first.proc.stop('SIGTERM')).to.equal(0);
    expect(first.proc.logs.some((l) => l.msg === 'member state snapshot not restored' && l.skipped === 'missing')).to.equal(true);
    const snap = JSON.parse(readFileSync(state, 'utf8'));
    expect(snap.members.map((m: { member: string; readiness: number }) => [m.member, m.readiness]).sort()).to.deep.equal([['datacenter-1', 1], ['datacenter-2', 0]]);

    // Restart at once (nobody reports to the new process): the snapshot keeps datacenter-2 out.
    const second = await serve(state);
    await second.proc.waitFor((l) => l.msg === 'member state restored from snapshot');
    const after = await dig(second.dns);
    expect(after.map((a) => a.address)).to.deep.equal([DC1]);
    // datacenter-1 is restored, not heard from since start: its answer must not outlive the grace.
    expect(after[0].ttl).to.be.within(0, 6);
    await second.proc.stop('SIGTERM');
  });

  it('without a state file the restart answers the not-ready datacenter during grace (what the snapshot prevents), TTL ≤ 10', async () => {
    const s = await serve('none');
    const a = await dig(s.dns);
    expect(a.map((x) => x.address)).to.deep.equal([DC2, DC1]);
    for (const x of a) expect(x.ttl).to.be.within(0, 6);
    expect(existsSync(join(dir, 'none'))).to.equal(false);
    await s.proc.stop('SIGTERM');
  });
});
