import { expect } from 'chai';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTools } from '../support/tools';
import { docExamples } from './helpers';
import { serveWithPorts } from '../support/anypick';
import { digShort } from '../support/dig';
import { DC1, DC2, DELIVERY, ZONE } from './two-datacenters';

const MAIN = join(__dirname, '..', '..', 'src', 'cli', 'main.js');
const DC1_REPORTED = '2001:db8:ae21:7700::1';
const TOKEN1 = 'e2e-token-datacenter-1-0123456789';
const TOKEN2 = 'e2e-token-datacenter-2-0123456789';


// Seed example 5's publish/subscribe blocks with a short lease; members come from presence only.
const DELIVERY_5 = `delivery global
  publish:
    presence @availability as otel.event
    readiness @availability as otel.event
    utilization @telemetry as otel.metric
    errors @telemetry as otel.event
  subscribe:
    presence @availability to membership
    readiness @availability to dynamic-weight
    utilization @telemetry to dynamic-weight
  lease: 1s
  report-interval: 250ms
  datacenter-pick-service my-service:
    listen: "https://example.com"
    next-hop-strategy:
      dynamic: internet-location-then-dynamic-weight
      tolerance: 20000km
      answers: 2
      when-none-ready: none
    next-hop-members:
      dynamic: membership.my-service.datacenter
    datacenter-1
      location: 37.4,-122.1
      block: 2001:db8:ae21:7700::/56
    datacenter-2
      location: 50.1,8.7
      block: 2001:db8:478:2800::/56
`;

function makeDir(delivery: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'anypick-signals-e2e-'));
  writeFileSync(join(dir, 'example.com.zone'), ZONE);
  writeFileSync(join(dir, 'my-service.delivery'), delivery);
  writeFileSync(join(dir, 'tokens'), `${TOKEN1} datacenter my-service datacenter-1\n${TOKEN2} datacenter my-service datacenter-2\n`);
  return dir;
}

type Serve = Awaited<ReturnType<typeof serveWithPorts>> & { signals: number };

/** `anypick serve DIR` with its signals receiver, DNS and HTTP on free ports. */
async function startServe(dir: string): Promise<Serve> {
  const s = await serveWithPorts([dir, '--signals', '127.0.0.1:0', '--tokens', join(dir, 'tokens'), '--geoip-db', 'none']);
  return { ...s, signals: s.signals! };
}

const dig = (port: number): Promise<string[]> => digShort(port, 'example.com', 'AAAA');

function report(signals: number, member: string, token: string, extra: string[]): ChildProcess {
  return spawn(process.execPath, [MAIN, 'report', '--tier', 'datacenter', '--service', 'my-service', '--member', member, '--endpoint', `http://127.0.0.1:${signals}`, '--token', token, ...extra], { stdio: 'ignore' });
}

function exited(c: ChildProcess): Promise<number | null> {
  return c.exitCode !== null ? Promise.resolve(c.exitCode) : new Promise((r) => c.once('exit', (code) => r(code)));
}

async function digUntil(port: number, pred: (a: string[]) => boolean, ms: number): Promise<{ answer: string[]; ms: number }> {
  const t0 = Date.now();
  let last: string[] = [];
  while (Date.now() - t0 < ms) {
    last = await dig(port);
    if (pred(last)) return { answer: last, ms: Date.now() - t0 };
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`dig never satisfied the condition within ${ms} ms; last answer ${JSON.stringify(last)}`);
}

async function status(http: number): Promise<any> {
  return (await fetch(`http://127.0.0.1:${http}/status.json`)).json();
}

/**
 * Waits until every one of `members` holds a lease. During the start-up grace members are
 * answered from static configuration, so an answer naming a member does not prove it reported.
 */
async function presentUntil(http: number, members: string[], ms: number): Promise<void> {
  const t0 = Date.now();
  let seen: string[] = [];
  while (Date.now() - t0 < ms) {
    seen = ((await status(http)).signals.members as any[]).filter((m) => m.present).map((m) => m.member);
    if (members.every((m) => seen.includes(m))) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`members ${members.join(', ')} not all present within ${ms} ms; present: ${seen.join(', ') || 'none'}`);
}

describe('signals end to end: anypick serve + anypick report + dig', function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  const serves: Serve[] = [];
  const children: ChildProcess[] = [];

  before(function () {
    requireTools(this, 'dig');
  });
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
    for (const s of serves.splice(0)) await s.proc.stop('SIGTERM');
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  async function boot(delivery: string): Promise<Serve> {
    const dir = makeDir(delivery);
    dirs.push(dir);
    const s = await startServe(dir);
    serves.push(s);
    return s;
  }

  it('static dyn members: grace, two reporters, not-ready, forged token, foreign address, silence', async () => {
    const serve = await boot(DELIVERY);
    // Start-up grace: nobody has reported, the answers come from static configuration.
    expect(await dig(serve.dns)).to.deep.equal([DC1, DC2].sort());
    const r1 = report(serve.signals, 'datacenter-1', TOKEN1, ['--interval', '300ms', '--address', DC1_REPORTED]);
    const r2 = report(serve.signals, 'datacenter-2', TOKEN2, ['--interval', '300ms']);
    children.push(r1, r2);
    await presentUntil(serve.http, ['datacenter-1', 'datacenter-2'], 10_000);
    await digUntil(serve.dns, (a) => a.includes(DC1_REPORTED) && a.includes(DC2), 10_000);
    // After the grace both are still there because they report.
    const deadline = Date.now() + 10_000;
    while ((await status(serve.http)).signals.starting && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await dig(serve.dns)).to.deep.equal([DC1_REPORTED, DC2].sort());

    // Not ready: datacenter-1's agent dies (its lease still runs) and a not-ready report arrives.
    r1.kill('SIGKILL');
    await exited(r1);
    expect(await dig(serve.dns)).to.include(DC1_REPORTED);
    const once = report(serve.signals, 'datacenter-1', TOKEN1, ['--once', '--ready', '0']);
    expect(await exited(once)).to.equal(0);
    expect(await dig(serve.dns)).to.deep.equal([DC2]);

    // A forged token: 401, and nothing changes.
    const body = docExamples().get('presence-up')!.body;
    expect(body).to.include(DC1_REPORTED);
    const forged = await fetch(`http://127.0.0.1:${serve.signals}/v1/logs`, { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: 'Bearer e2e-token-datacenter-1-0123456780' } });
    expect(forged.status).to.equal(401);
    // An address outside datacenter-1's block (from its next-hop-members target): rejected.
    const foreign = await fetch(`http://127.0.0.1:${serve.signals}/v1/logs`, { method: 'POST', body: body.replace(DC1_REPORTED, '2001:db8:ffff::1'), headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN1}` } });
    expect(foreign.status).to.equal(200);
    expect(((await foreign.json()) as any).partialSuccess.errorMessage).to.match(/outside the block 2001:db8:ae21:7700::\/56/);
    // Nothing of either request applied (not the version: datacenter-1's 1 s lease may run out meanwhile).
    const dc1 = (await status(serve.http)).signals.members.find((m: any) => m.member === 'datacenter-1');
    expect(dc1.ready).to.equal(false);
    expect(dc1.address ?? '').to.not.equal('2001:db8:ffff::1');
    expect(await dig(serve.dns)).to.deep.equal([DC2]);

    // Silence: datacenter-2's agent is killed without a leaving report; it leaves within the lease.
    r2.kill('SIGKILL');
    await exited(r2);
    const gone = await digUntil(serve.dns, (a) => !a.includes(DC2), 3000 + 2000);
    expect(gone.answer).to.deep.equal([]);
    const st = await status(serve.http);
    const byName = new Map<string, any>(st.signals.members.map((m: any) => [m.member, m]));
    expect(byName.get('datacenter-2')).to.include({ present: false, ready: false, factor: 0 });
    expect(byName.get('datacenter-1')).to.include({ ready: false, factor: 0 });
    const metrics = await (await fetch(`http://127.0.0.1:${serve.http}/metrics`)).text();
    // datacenter-2, and datacenter-1 once or twice (its 1 s lease can also run out before the --once report on a loaded machine).
    expect(metrics).to.match(/anypick_signals_lease_expiries_total\{[^}]*\} [1-3]\b/);
    expect(metrics).to.match(/anypick_signals_refused_total\{status="401"[^}]*\} 1/);
    expect(metrics).to.match(/anypick_dns_queries_total\{type="AAAA"[^}]*\} \d+/);
  });

  it('seed example 5 blocks with lease 1s: membership from presence, silence and leaving', async () => {
    const serve = await boot(DELIVERY_5);
    const r1 = report(serve.signals, 'datacenter-1', TOKEN1, ['--interval', '250ms', '--address', DC1_REPORTED, '--utilization', '0.5']);
    const r2 = report(serve.signals, 'datacenter-2', TOKEN2, ['--interval', '250ms']);
    children.push(r1, r2);
    await presentUntil(serve.http, ['datacenter-1', 'datacenter-2'], 10_000);
    await digUntil(serve.dns, (a) => a.includes(DC1_REPORTED) && a.includes(DC2), 10_000);
    // datacenter-2's agent dies: gone within the 1 s lease (polled for up to 3 s).
    r2.kill('SIGKILL');
    await exited(r2);
    const gone = await digUntil(serve.dns, (a) => !a.includes(DC2), 3000);
    expect(gone.answer).to.deep.equal([DC1_REPORTED]);
    // datacenter-1's agent is stopped: it says leaving, so it is gone at once.
    r1.kill('SIGTERM');
    expect(await exited(r1)).to.equal(0);
    expect(await dig(serve.dns)).to.deep.equal([]);
    const st = await status(serve.http);
    expect(st.signals.members.map((m: any) => `${m.member}:${m.present}`)).to.deep.equal(['datacenter-1:false', 'datacenter-2:false']);
  });
});
