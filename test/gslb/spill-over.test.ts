/**
 * Capacity spill-over through a real `anypick serve` with live reports: a datacenter that turns
 * ready again ramps (slow start, factor 0.1 → 1 over 10 s) and keeps about its factor's share
 * of its own region's client subnets; the rest spill to the next-nearest datacenter.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { requireTools } from '../support/tools';
import { LiveRig } from '../support/live-rig';
import { SAMPLE_DB } from '../geo/support';
import { spillHash } from '../../src/pick/datacenter-strategy';
import { DEFAULT_WEIGHT_PARAMS } from '../../src/signals/weight';

const DC1 = '2001:db8:ae21:7700::';
// 40 client subnets of us-west (10.1.0.0/16 in the sample database): datacenter-1's region.
const SUBNETS = Array.from({ length: 40 }, (_, i) => `10.1.${i * 5}.0/24`);

/** One dig run with a query per subnet: the first answer of each, in order. */
function digAll(port: number): Promise<string[]> {
  const args = ['@127.0.0.1', '-p', String(port), '+time=2', '+tries=2', '+short'];
  for (const s of SUBNETS) args.push('example.com', 'AAAA', `+subnet=${s}`);
  return new Promise((resolve, reject) => execFile('dig', args, (err, out) => {
    if (err) return reject(new Error(`dig failed: ${err.message}`, { cause: err }));
    const lines = out.split('\n').filter(Boolean);
    if (lines.length !== SUBNETS.length) return reject(new Error(`expected ${SUBNETS.length} answers, got:\n${out}`));
    resolve(lines);
  }));
}

async function members(http: number): Promise<Array<{ member: string; factor: number; present: boolean; ready: boolean; source: string }>> {
  return ((await (await fetch(`http://127.0.0.1:${http}/status.json`)).json()) as { members: Array<{ member: string; factor: number; present: boolean; ready: boolean; source: string }> }).members;
}

async function factor(http: number): Promise<number> {
  const m = (await members(http)).find((x) => x.member === 'datacenter-1')!;
  return m.ready && m.source === 'signals' ? m.factor : 0;
}

/** Subnets a capacity of `f` keeps in datacenter-1's group (the strategy's stable hash). */
const kept = (f: number): number => SUBNETS.filter((s) => spillHash(s) < f).length;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('gslb: capacity spill-over while a datacenter ramps (serve + report + dig)', function () {
  this.timeout(90_000);
  let rig: LiveRig;
  before(function () {
    requireTools(this, 'dig');
    rig = new LiveRig('spill', '3s');
  });
  after(() => rig.close());

  it('a datacenter that turns ready again keeps about its factor\'s share of its region, growing with the ramp', async () => {
    const srv = await rig.serve(['--geoip-db', SAMPLE_DB]);
    rig.report(srv.signals!, 'datacenter-2');
    const notReady = rig.report(srv.signals!, 'datacenter-1', ['--ready', '0']);
    // Both reporting (datacenter-1 not ready): its whole region goes to datacenter-2.
    const t0 = Date.now();
    while (!(await members(srv.http)).every((m) => m.present && m.source === 'signals')) {
      if (Date.now() - t0 > 15_000) throw new Error('reporters did not register');
      await sleep(100);
    }
    while ((await digAll(srv.dns)).some((a) => a === DC1)) {
      if (Date.now() - t0 > 15_000) throw new Error('datacenter-1 still answered while not ready');
      await sleep(200);
    }
    // After the start-up grace (members seen during it do not ramp)…
    while (((await (await fetch(`http://127.0.0.1:${srv.http}/status.json`)).json()) as { signals: { starting: boolean } }).signals.starting) await sleep(100);
    // …it turns ready again (same lease): slow start from factor 0.1.
    rig.report(srv.signals!, 'datacenter-1');
    while ((await factor(srv.http)) === 0) await sleep(20);
    notReady.kill('SIGKILL');

    // The ramp ends one slow-start window after it began (the registry's default window); the
    // loop runs until then plus room for a lease report interval and status/dig round trips on a
    // busy machine, not for a guessed number of rounds (40 rounds of ~250 ms fell short of 10 s).
    const rampEnd = Date.now() + DEFAULT_WEIGHT_PARAMS.slowStartWindowMs + 15_000;
    const samples: { before: number; after: number; share: number }[] = [];
    while (Date.now() < rampEnd) {
      const before = await factor(srv.http);
      const answers = await digAll(srv.dns);
      const after = await factor(srv.http);
      const share = answers.filter((a) => a === DC1).length;
      // Exactly the subnets the stable hash keeps at the factor of the moment (the ramp moved in between).
      expect(share, `factor ${before}..${after}`).to.be.within(kept(before), kept(after));
      samples.push({ before, after, share: share / SUBNETS.length });
      if (after >= 1) break;
      await sleep(200);
    }
    const early = samples[0];
    // About its factor's share: at the start of the ramp (factor ≈ 0.1..0.3) a small share.
    expect(early.before).to.be.below(0.4);
    expect(early.share).to.be.at.most(early.after + 0.15);
    // The share grows with the ramp, to the whole region at factor 1.
    const shares = samples.map((s) => s.share);
    for (let i = 1; i < shares.length; i++) expect(shares[i]).to.be.at.least(shares[i - 1]);
    expect(samples[samples.length - 1].after).to.equal(1);
    expect(shares[shares.length - 1]).to.equal(1);
    expect(new Set(shares).size).to.be.greaterThan(3);
  });
});
