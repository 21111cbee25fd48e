import { expect } from 'chai';
import { join } from 'node:path';
import { requireTools, canUseNetns } from '../support/tools';
import { Topology } from './support/netns';
import { until } from './support/bird';
import { Frr } from './support/frr';
import { Sidecar, configDir, extendedConfig, startDns, removeDir, ROOT } from './support/sidecar';
import { loadAddon } from '../../src/native/addon';

const STATUS_PORT = 8154;
const ZONE = join(ROOT, 'zones', 'example.com.zone');

describe('bgp interop with FRR bgpd in network namespaces: TCP-MD5, GTSM, damping', function () {
  this.timeout(60000);
  let t: Topology | undefined;
  const dirs: string[] = [];
  const frrs: Frr[] = [];
  const sidecars: Sidecar[] = [];

  before(function () {
    requireTools(this, '/usr/lib/frr/bgpd', '/usr/lib/frr/zebra', 'vtysh', 'ip', 'curl');
    if (!canUseNetns()) {
      if (process.env.CI) throw new Error('CI must run as root for the FRR interop tests');
      this.skip();
    }
    const addon = loadAddon('anypick_sockopt');
    if (!addon.ok) throw new Error(`TCP-MD5 and GTSM need the native addon: ${addon.reason}`);
    t = new Topology();
    t.up();
    startDns(t);
  });

  afterEach(async () => {
    for (const s of sidecars.splice(0)) s.child.kill('SIGKILL');
    for (const f of frrs.splice(0)) f.cleanup();
    await new Promise((r) => setTimeout(r, 300));
  });

  after(() => {
    t?.down();
    for (const d of dirs) removeDir(d);
  });

  async function frr(opts: ConstructorParameters<typeof Frr>[1]): Promise<Frr> {
    const f = new Frr(t!, opts);
    frrs.push(f);
    await f.start();
    return f;
  }

  function sidecar(neighbor: string[], env: NodeJS.ProcessEnv = {}): Sidecar {
    const dir = configDir(extendedConfig({ holdTime: 9, neighbor }));
    dirs.push(dir);
    const s = new Sidecar(t!, [dir, ZONE, '--status-http', `127.0.0.1:${STATUS_PORT}`], { env: { ...process.env, ...env } });
    sidecars.push(s);
    return s;
  }

  it('password (from the environment) + ttl-security against `password` + `ttl-security hops 1`: Established, prefixes received', async () => {
    const f = await frr({ password: 'Open-Sesame-16', ttlSecurityHops: 1 });
    const s = sidecar(['password env:ANYPICK_BGP_KEY;', 'ttl-security;'], { ANYPICK_BGP_KEY: 'Open-Sesame-16' });
    expect(await until(() => f.hasRoute('2001:db8::53/128') && f.hasRoute('192.0.2.53/32'), 20000, 200), s.log.slice(-3000)).to.equal(true);
    expect(f.peerState()).to.equal('Established');
    const nb = JSON.parse(f.vtysh('bgpd', `show bgp neighbors ${t!.speakerV6} json`)) as Record<string, Record<string, unknown>>;
    // FRR reports the GTSM hop count it enforces on this session.
    // FRR's own view: the session is authenticated and GTSM limits it to one hop.
    expect(nb[t!.speakerV6]!.authenticationEnabled).to.equal(1);
    expect(nb[t!.speakerV6]!.externalBgpNbrMaxHopsAway).to.equal(1);
    expect(s.status(STATUS_PORT)!.sessions[0]!.state).to.equal('Established');
  });

  it('a wrong password never reaches Established, and the sidecar says why', async () => {
    const f = await frr({ password: 'Open-Sesame-16', ttlSecurityHops: 1 });
    const s = sidecar(['password env:ANYPICK_BGP_KEY;', 'ttl-security;'], { ANYPICK_BGP_KEY: 'wrong-key' });
    expect(await until(() => /wrong or missing password/.test(s.log), 15000, 200), s.log.slice(-3000)).to.equal(true);
    expect(s.log).to.match(/TCPMD5Failure \+\d+/);
    expect(f.peerState()).to.not.equal('Established');
    expect(s.status(STATUS_PORT)!.sessions[0]!.state).to.not.equal('Established');
    expect(s.status(STATUS_PORT)!.sessions[0]!.lastError).to.match(/TCP-MD5/);
    expect(f.hasRoute('2001:db8::53/128')).to.equal(false);
  });

  it('without ttl-security on our side, FRR with `ttl-security hops 1` never establishes (it drops TTL 64)', async () => {
    const f = await frr({ ttlSecurityHops: 1 });
    const s = sidecar([]);
    await new Promise((r) => setTimeout(r, 6000));
    expect(f.peerState()).to.not.equal('Established');
    expect(s.status(STATUS_PORT)?.sessions[0]!.counters.establishedTransitions).to.equal(0);
  });

  it('FRR bgpd -Z rejects every UPDATE (link-local next hop, 3/10): retries are damped, not a 1 Hz loop', async () => {
    const f = await frr({ noZebra: true });
    const s = sidecar([]);
    const transitions = () => s.status(STATUS_PORT)?.sessions[0]!.counters.establishedTransitions ?? 0;
    expect(await until(() => /damping the neighbor/.test(s.log), 20000, 200), s.log.slice(-3000)).to.equal(true);
    expect(s.log).to.match(/Invalid Network Field \(3\/10\)|UPDATE Message Error/);
    const n = transitions();
    await new Promise((r) => setTimeout(r, 6000));
    expect(transitions(), 'no new session while damped (first hold-back 11–15 s)').to.equal(n);
    expect(f.peerState()).to.not.equal('Established');
  });

  it('BFD with FRR bfdd (`neighbor … bfd`, 100 ms × 3): both sides Up next to the BGP session', async () => {
    const f = await frr({ bfd: { intervalMs: 100, multiplier: 3 } });
    const s = sidecar(['bfd;', 'bfd-interval 100ms;']);
    expect(await until(() => f.hasRoute('2001:db8::53/128'), 20000, 200), s.log.slice(-3000)).to.equal(true);
    const peerUp = () => {
      try {
        const j = JSON.parse(f.vtysh('bfdd', 'show bfd peers json')) as { peer: string; status: string }[];
        return j.some((p) => p.peer === t!.speakerV6 && p.status === 'up');
      } catch {
        return false;
      }
    };
    expect(await until(() => peerUp() && s.status(STATUS_PORT)?.sessions[0]!.bfd?.state === 'Up', 10000, 200), `${f.vtysh('bfdd', 'show bfd peers')}\n${s.log.slice(-2000)}`).to.equal(true);
  });
});
