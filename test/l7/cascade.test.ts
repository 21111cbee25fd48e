import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digShort } from '../support/dig';
import { request } from 'undici';
import { loadPaths } from '../../src/config/load';
import type { MemberLiveState } from '../../src/pick/types';
import { Reporter } from '../../src/signals/reporter';
import { serveWithPorts } from '../support/anypick';
import type { AnypickProcess } from '../support/anypick';
import { Backend } from './support/backends';
import { ROOT, anypick, until } from './support/procs';
import { freePort } from '../support/ports';
import { requireTools } from '../support/tools';
import type { Child } from './support/procs';

/**
 * The cascade of seed example 5 (plus a second datacenter; `block:` addresses added) on one
 * machine: backends report to their cluster's service pick, each service pick reports to its
 * datacenter's cluster pick, each cluster pick reports to the DNS node — `anypick serve` with
 * its signals receiver — queried with dig; the DNS node's member state is read from its
 * /status.json.
 */
describe('l7/cascade: cluster pick → service pick → backends, signals upward', function () {
  this.timeout(90_000);
  const TOKEN = (s: string) => `tok-${s}-0123456789abcdef`;
  const LEASE = 3000;
  const dir = mkdtempSync(join(tmpdir(), 'anypick-cascade-'));
  const tokensFile = join(dir, 'tokens');
  const children: Child[] = [];
  const reporters = new Map<string, Reporter>();
  const backends = new Map<string, Backend>();
  let top: { proc: AnypickProcess; dns: number; signals?: number; http: number };
  let ports: { backend: number; sp: number; cp: number; spSig: number[]; cpSig: number[] };
  let servicePicks: Child[] = [];

  /** Resolves example.com A at the DNS node with dig. */
  const dig = (): Promise<string[]> => digShort(top.dns, 'example.com', 'A');

  async function digMany(n: number): Promise<Set<string>> {
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) for (const a of await dig()) seen.add(a);
    return seen;
  }

  const spAddr = (dc: number) => `127.0.2.${dc}`;
  const cpAddr = (dc: number) => `127.0.3.${dc}`;
  // The signals receivers listen on addresses of their own, not 127.0.0.1: a port released by
  // freePort on 127.0.0.1 can be taken meanwhile as the local port of an outgoing connection
  // (the reporters, fetch), and the child's bind then fails with EADDRINUSE.
  const spSigAddr = (dc: number) => `127.0.4.${dc}`;
  const cpSigAddr = (dc: number) => `127.0.5.${dc}`;

  function startServicePick(dc: number): Promise<Child> {
    return anypick(
      ['proxy', 'test/l7/fixtures', '--datacenter', `datacenter-${dc}`, '--cluster', 'cluster-1', '--listen', `${spAddr(dc)}:${ports.sp}`,
        '--signals', `${spSigAddr(dc)}:${ports.spSig[dc - 1]}`, '--tokens', tokensFile, '--report-to', `http://${cpSigAddr(dc)}:${ports.cpSig[dc - 1]}`,
        // No --upstream-port: the backends report their port (anypick.port) with their address.
        '--token', TOKEN('cluster'), '--log-level', 'warn'],
      /listening/,
    );
  }

  async function startBackend(dc: number, kind: 'gpu' | 'cpu', n: number): Promise<void> {
    const name = `${kind}-${dc}`;
    const b = backends.get(name) ?? new Backend(name);
    b.port = ports.backend;
    backends.set(name, b);
    await b.start(`127.0.1.${n}`);
    const service = kind === 'gpu' ? 'service-with-gpu' : 'service-without-gpu';
    const r = new Reporter({
      id: { tier: 'service', service, member: name },
      address: `127.0.1.${n}`,
      port: ports.backend,
      logEndpoints: [`http://${spSigAddr(dc)}:${ports.spSig[dc - 1]}`],
      metricEndpoints: [],
      token: TOKEN(name),
      intervalMs: 500,
      ready: 1,
    });
    r.start();
    reporters.set(name, r);
  }

  async function stopBackend(name: string): Promise<void> {
    await reporters.get(name)?.stop();
    reporters.delete(name);
    await backends.get(name)?.stop();
  }

  async function via(dc: number): Promise<{ status: number; name?: string }> {
    const r = await request(`http://${cpAddr(dc)}:${ports.cp}/api/items/7`, { headers: { host: 'example.com' }, headersTimeout: 5000 });
    const body = (await r.body.json()) as { name?: string };
    return { status: r.statusCode, name: body.name };
  }

  /** The DNS node's live state of datacenter-1 and -2 (from its /status.json). */
  async function dcStates(): Promise<Record<number, MemberLiveState | undefined>> {
    const res = await fetch(`http://127.0.0.1:${top.http}/status.json`);
    const doc = (await res.json()) as { signals: { members: Array<MemberLiveState & { tier: string; service: string; member: string }> } };
    const find = (dc: number) => doc.signals.members.find((m) => m.tier === 'datacenter' && m.service === 'my-service' && m.member === `datacenter-${dc}`);
    return { 1: find(1), 2: find(2) };
  }
  const bothReady = async () => {
    const s = await dcStates();
    return s[1]?.ready && s[2]?.ready;
  };

  before(async function () {
    requireTools(this, 'dig');
    ports = {
      backend: await freePort(['127.0.1.1']),
      sp: await freePort([spAddr(1), spAddr(2)]),
      cp: await freePort([cpAddr(1), cpAddr(2)]),
      spSig: [await freePort([spSigAddr(1)]), await freePort([spSigAddr(2)])],
      cpSig: [await freePort([cpSigAddr(1)]), await freePort([cpSigAddr(2)])],
    };
    const lines = [
      ...['gpu-1', 'gpu-2'].map((m) => `${TOKEN(m)} service service-with-gpu ${m}`),
      ...['cpu-1', 'cpu-2'].map((m) => `${TOKEN(m)} service service-without-gpu ${m}`),
      `${TOKEN('cluster')} cluster my-service cluster-1`,
      `${TOKEN('dc1')} datacenter my-service datacenter-1`,
      `${TOKEN('dc2')} datacenter my-service datacenter-2`,
    ];
    writeFileSync(tokensFile, lines.join('\n') + '\n');
    const loaded = loadPaths([join(ROOT, 'test', 'l7', 'fixtures')]);
    expect(loaded.errors.map(String)).to.deep.equal([]);
    expect(loaded.model.deliveries[0]?.leaseMs ?? 3000).to.equal(LEASE);
    top = await serveWithPorts([join(ROOT, 'test', 'l7', 'fixtures'), '--signals', '127.0.0.1:0', '--tokens', tokensFile, '--geoip-db', 'none']);
    const topUrl = `http://127.0.0.1:${top.signals}`;
    await startBackend(1, 'gpu', 1);
    await startBackend(1, 'cpu', 2);
    await startBackend(2, 'gpu', 3);
    await startBackend(2, 'cpu', 4);
    servicePicks = await Promise.all([startServicePick(1), startServicePick(2)]);
    children.push(...servicePicks);
    for (const dc of [1, 2]) {
      children.push(
        await anypick(
          ['proxy', 'test/l7/fixtures', '--datacenter', `datacenter-${dc}`, '--listen', `${cpAddr(dc)}:${ports.cp}`,
            '--signals', `${cpSigAddr(dc)}:${ports.cpSig[dc - 1]}`, '--tokens', tokensFile, '--report-to', topUrl,
            // No --upstream-port: each service pick reports its listen port upward.
            '--token', TOKEN(`dc${dc}`), '--log-level', 'warn'],
          /listening/,
        ),
      );
    }
  });

  after(async () => {
    for (const c of children) await c.stop();
    for (const name of [...reporters.keys()]) await stopBackend(name).catch(() => undefined);
    for (const b of backends.values()) await b.stop();
    await top?.proc.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a request resolved through DNS and sent through the cluster and service picks reaches a GPU backend', async () => {
    await until('both datacenters ready at the DNS node', 15_000, bothReady);
    const answers = await until('DNS answers both datacenters', 10_000, async () => {
      const s = await digMany(12);
      return s.size === 2 ? s : undefined;
    });
    expect([...answers].sort()).to.deep.equal([cpAddr(1), cpAddr(2)]);
    const [addr] = await dig();
    const r = await until('a GPU answer via the resolved address', 15_000, async () => {
      const x = await request(`http://${addr}:${ports.cp}/api/items/7`, { headers: { host: 'example.com' } });
      const body = (await x.body.json()) as { name?: string };
      return x.statusCode === 200 ? body : undefined;
    });
    expect(r.name).to.equal(`gpu-${addr === cpAddr(1) ? 1 : 2}`);
  });

  it('each datacenter serves with GPU through its own cascade', async () => {
    for (const dc of [1, 2]) {
      const r = await until(`datacenter-${dc} serving`, 15_000, async () => {
        const x = await via(dc);
        return x.status === 200 ? x : undefined;
      });
      expect(r.name).to.equal(`gpu-${dc}`);
    }
    await until('both datacenters ready at the top', 10_000, bothReady);
    expect((await dcStates())[1]!.address).to.equal(cpAddr(1));
  });

  it('admission runs at the cluster pick (seed example 5): unknown paths get 404 problem+json', async () => {
    const r = await request(`http://${cpAddr(1)}:${ports.cp}/api/nope`, { headers: { host: 'example.com' } });
    expect(r.statusCode).to.equal(404);
    expect(r.headers['content-type']).to.equal('application/problem+json');
    await r.body.dump();
  });

  it('GPU backends stop → requests go to the without-GPU backends, and the fallback mode lowers readiness upward', async () => {
    await stopBackend('gpu-1');
    const r = await until('without-GPU serving in datacenter-1', 10_000, async () => {
      const x = await via(1);
      return x.status === 200 && x.name === 'cpu-1' ? x : undefined;
    });
    expect(r.name).to.equal('cpu-1');
    for (let i = 0; i < 10; i++) expect((await via(1)).name).to.equal('cpu-1');
    // The cluster pick of datacenter-1 now reports a lower factor than datacenter-2 (GPU mode).
    await until('datacenter-1 weighted below datacenter-2', 10_000, async () => {
      const s = await dcStates();
      return s[1]!.ready && s[1]!.factor < s[2]!.factor;
    });
  });

  it('every cluster of datacenter-1 stops → datacenter-1 reported not ready within one lease; back → traffic returns, ramped', async () => {
    await servicePicks[0].stop();
    const t0 = Date.now();
    await until('datacenter-1 not ready at the top', LEASE * 3, async () => {
      const s = (await dcStates())[1];
      return s && !s.ready;
    });
    const took = Date.now() - t0;
    // One lease at the cluster pick, then one report interval to the top.
    expect(took).to.be.below(LEASE + 2000);
    expect([...(await digMany(10))]).to.deep.equal([cpAddr(2)]);
    expect((await via(1)).status).to.equal(503);
    expect((await dcStates())[2]!.ready).to.equal(true);

    await startBackend(1, 'gpu', 1);
    servicePicks[0] = await startServicePick(1);
    children.push(servicePicks[0]);
    const back = await until('datacenter-1 ready again', 15_000, async () => {
      const s = (await dcStates())[1];
      return s?.ready ? s : undefined;
    }, 50);
    // Slow start at the top: a returning member starts below its full factor.
    expect(back.factor).to.be.below(1);
    await until('datacenter-1 serves with GPU again', 10_000, async () => (await via(1)).name === 'gpu-1');
    await until('DNS answers datacenter-1 again', 15_000, async () => (await digMany(10)).has(cpAddr(1)));
  });
});
