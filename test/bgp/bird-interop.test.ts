import { expect } from 'chai';
import { copyFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { requireTools, canUseNetns } from '../support/tools';
import { Topology } from './support/netns';
import { Bird, until } from './support/bird';
import { Sidecar, configDir, extendedConfig, startDns, exited, removeDir, CLI, ROOT } from './support/sidecar';
import type { ChildProcess } from 'node:child_process';

const STATUS_PORT = 8153; // inside the test's own network namespace, and not serve's default --http port (8053)

describe('bgp interop with BIRD 2 in network namespaces', function () {
  this.timeout(30000);
  let t: Topology | undefined;
  let bird: Bird | undefined;
  let dns: ChildProcess | undefined;
  const dirs: string[] = [];

  before(function () {
    requireTools(this, 'bird', 'birdc', 'ip', 'curl');
    if (!canUseNetns()) {
      if (process.env.CI) throw new Error('CI must run as root for the BIRD interop tests');
      this.skip();
    }
    t = new Topology();
    t.up();
    bird = new Bird(t, { holdTime: 3 });
    bird.start();
    dns = startDns(t);
  });

  after(function () {
    t?.down();
    bird?.cleanup();
    for (const d of dirs) removeDir(d);
  });

  const has = (prefix: string) => bird!.routes().includes(prefix);

  it('seed example 4 as written: Established with 4-octet ASNs and the IPv6 prefix in BIRD', async () => {
    const dir = configDir('');
    dirs.push(dir);
    rmSync(join(dir, 'anycast-dns.delivery'));
    copyFileSync(join(ROOT, 'examples', 'seed', '4-anycast-dns.delivery'), join(dir, '4-anycast-dns.delivery'));
    const s = new Sidecar(t!, [dir, join(__dirname, '..', '..', '..', 'zones', 'example.com.zone')]);
    try {
      expect(await until(() => has('2001:db8::53/128'), 15000, 100), s.log).to.equal(true);
      const proto = bird!.birdc('show', 'protocols', 'all', 'anypick');
      expect(proto).to.match(/BGP state:\s+Established/);
      expect(proto).to.match(/Neighbor AS:\s+64511/);
      expect(proto).to.match(/Session:\s+external AS4/);
      expect(bird!.routes()).to.match(/BGP\.as_path: 64511\n/);
    } finally {
      s.child.kill('SIGINT');
      expect(await exited(s.child)).to.equal(0);
    }
    expect(await until(() => !has('2001:db8::53/128'), 5000), 'Cease withdraws').to.equal(true);
  });

  describe('extended configuration (checks at 200 ms, IPv4 + IPv6, drain 1 s)', () => {
    let s: Sidecar;
    const disable = () => join(dirs[1]!, 'disable');
    before(() => {
      const dir = configDir(extendedConfig());
      dirs.push(dir);
      s = new Sidecar(t!, [dir, join(__dirname, '..', '..', '..', 'zones', 'example.com.zone'), '--status-http', `127.0.0.1:${STATUS_PORT}`, '--disable-file', join(dir, 'disable')]);
    });
    after(() => s.child.kill('SIGKILL'));

    it('announces the IPv6 and the IPv4 prefix over the same session', async () => {
      expect(await until(() => has('2001:db8::53/128') && has('192.0.2.53/32'), 15000, 100), s.log).to.equal(true);
      const r = bird!.birdc('show', 'route', 'all', 'for', '192.0.2.53/32', 'protocol', 'anypick');
      expect(r).to.include('BGP.next_hop: 198.51.100.1');
      const st = s.status(STATUS_PORT)!;
      expect(st.phase).to.equal('up');
      expect(st.sessions[0]!.state).to.equal('Established');
      expect(st.sessions[0]!.announced.sort()).to.deep.equal(['192.0.2.53/32', '2001:db8::53/128']);
      expect(st.sessions[0]!.holdTime).to.equal(3);
    });

    it('DNS server stopped → withdrawn; restored → announced again', async () => {
      dns!.kill('SIGKILL');
      await exited(dns!);
      expect(await until(() => !has('2001:db8::53/128') && !has('192.0.2.53/32'), 5000), 'withdrawn').to.equal(true);
      const st = s.status(STATUS_PORT)!;
      expect([st.phase, st.check.healthy]).to.deep.equal(['down', false]);
      expect(st.sessions[0]!.state, 'the session stays up').to.equal('Established');
      dns = startDns(t!);
      let dnsLog = '';
      dns.stderr!.on('data', (d: Buffer) => (dnsLog += d.toString()));
      const back = await until(() => has('2001:db8::53/128') && has('192.0.2.53/32'), 15000);
      expect(back, `announced again\n${JSON.stringify(s.status(STATUS_PORT))}\ndns: ${dnsLog.slice(-1500)}\n${s.log.slice(-3000)}`).to.equal(true);
    });

    it('answers a ROUTE-REFRESH by re-sending the announcements', async () => {
      const before = s.status(STATUS_PORT)!.sessions[0]!.counters.announcementsSent;
      bird!.birdc('reload', 'in', 'anypick');
      expect(await until(() => (s.status(STATUS_PORT)?.sessions[0]!.counters.routeRefreshesReceived ?? 0) > 0, 5000)).to.equal(true);
      expect(s.status(STATUS_PORT)!.sessions[0]!.counters.announcementsSent).to.be.greaterThan(before);
      expect(has('2001:db8::53/128')).to.equal(true);
    });

    it('hold timer expiry (BIRD stopped with SIGSTOP) → session reset, then reconnect', async () => {
      bird!.process!.kill('SIGSTOP');
      try {
        expect(await until(() => /Hold Timer Expired \(4\/0\)/.test(s.status(STATUS_PORT)?.sessions[0]!.lastError ?? ''), 8000, 200)).to.equal(true);
        expect(s.status(STATUS_PORT)!.sessions[0]!.state).to.not.equal('Established');
      } finally {
        bird!.process!.kill('SIGCONT');
      }
      expect(await until(() => s.status(STATUS_PORT)?.sessions[0]!.state === 'Established' && has('2001:db8::53/128'), 15000, 200), s.log.slice(-3000)).to.equal(true);
    });

    it('BIRD restarted → session re-established and the prefixes back', async () => {
      const before = s.status(STATUS_PORT)!.sessions[0]!.counters.establishedTransitions;
      await bird!.kill();
      bird!.start();
      expect(await until(() => has('2001:db8::53/128') && has('192.0.2.53/32'), 15000, 200), s.log.slice(-3000)).to.equal(true);
      expect(s.status(STATUS_PORT)!.sessions[0]!.counters.establishedTransitions).to.be.greaterThan(before);
    });

    it('disable file → GRACEFUL_SHUTDOWN (65535,0) in BIRD, then withdrawn with Cease 6/2; removed → back', async () => {
      writeFileSync(disable(), '');
      expect(await until(() => /BGP\.community:.*\(65535,0\)/.test(bird!.routes()), 3000, 50), 'drain community').to.equal(true);
      expect(bird!.routes()).to.match(/BGP\.as_path: 64511 64511 64511 64511/);
      expect(await until(() => !has('2001:db8::53/128') && !has('192.0.2.53/32'), 5000), 'withdrawn after drain').to.equal(true);
      expect(await until(() => /Administrative shutdown/i.test(bird!.birdc('show', 'protocols', 'all', 'anypick')), 3000)).to.equal(true);
      expect(s.status(STATUS_PORT)!.phase).to.equal('disabled');
      rmSync(disable());
      expect(await until(() => has('2001:db8::53/128'), 15000, 200), 'enabled again').to.equal(true);
      expect(bird!.routes()).to.not.include('65535,0');
    });

    it('SIGTERM drains (community first), withdraws and exits 0', async () => {
      s.child.kill('SIGTERM');
      expect(await until(() => /\(65535,0\)/.test(bird!.routes()), 3000, 50), 'drain community').to.equal(true);
      expect(await exited(s.child)).to.equal(0);
      expect(has('2001:db8::53/128')).to.equal(false);
    });
  });

  describe('in-process (runs after the sidecar tests)', () => {
    it('anypick serve --bgp: DNS and announcer in one process; SIGTERM drains, then exits 0', async () => {
      dns!.kill('SIGKILL');
      await exited(dns!);
      const dir = configDir(extendedConfig());
      dirs.push(dir);
      const serve = t!.spawn(t!.spk, 'node', [CLI, 'serve', dir, join(ROOT, 'zones', 'example.com.zone'), '--dns', '[2001:db8::53]:53', '--geoip-db', 'none', '--bgp', '--log-level', 'info']);
      let out = '';
      serve.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      expect(await until(() => has('2001:db8::53/128') && has('192.0.2.53/32'), 15000, 100), out.slice(-3000)).to.equal(true);
      serve.kill('SIGTERM');
      expect(await until(() => /\(65535,0\)/.test(bird!.routes()), 3000, 50), 'drain community').to.equal(true);
      expect(await exited(serve)).to.equal(0);
      expect(has('2001:db8::53/128')).to.equal(false);
    });
  });
});
