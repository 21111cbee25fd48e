import { freePort } from '../support/ports';
import { expect } from 'chai';
import pino from 'pino';
import { Announcer } from '../../src/bgp/announcer';
import { Session } from '../../src/bgp/session';
import { Listener } from '../../src/bgp/listener';
import { neighbor } from '../../src/bgp/config';
import type { BgpConfig } from '../../src/bgp/config';
import { CheckFailure } from '../../src/bgp/check/dns';
import { startStatusServer } from '../../src/bgp/status-server';
import { metricsText } from '../../src/bgp/metrics';
import { Update } from '../../src/bgp/wire/update';
import { until } from './support/bird';

const log = pino({ level: 'silent' });

/**
 * An announcer (127.0.0.1, AS 64511) with a scripted check, peered with a second anypick
 * session standing in as the router (127.0.0.3, AS 65536) that records every UPDATE.
 */
async function rig(healthy: { ok: boolean }) {
  const port = await freePort(['127.0.0.1', '127.0.0.3']);
  const cfg: BgpConfig = {
    name: 'announce-routes', prefixes: ['2001:db8::53/128', '192.0.2.53/32'],
    neighbors: [neighbor({ address: '127.0.0.3', localAddress: '127.0.0.1', port, localAsn: 64511, peerAsn: 65536, connectRetryMs: 100, med: 7 })],
    check: { target: { kind: 'exec', command: 'true' }, intervalMs: 20, timeoutMs: 20, rise: 2, fall: 2 },
    drainMs: 300, drainPrepend: 3, drainLocalPref: 0,
  };
  const probes = { n: 0 };
  const a = new Announcer(cfg, log, { probe: async () => { probes.n++; if (!healthy.ok) throw new CheckFailure('scripted failure'); } });
  const router = new Session(neighbor({ address: '127.0.0.1', localAddress: '127.0.0.3', port, localAsn: 65536, peerAsn: 64511, passive: true, connectRetryMs: 100 }), log);
  const updates: Update[] = [];
  const orig = (router as unknown as { perform(x: { do: string; update?: Update }): void }).perform.bind(router);
  (router as unknown as { perform(x: { do: string; update?: Update }): void }).perform = (x) => {
    if (x.do === 'count-update' && x.update) updates.push(x.update);
    orig(x);
  };
  const rl = new Listener([router], log);
  await rl.start();
  router.start();
  return { a, router, updates, probes, async close() { await a.stop(); await router.close(); await rl.close(); } };
}

describe('bgp announcer: health-driven announcements and drain', function () {
  this.timeout(10000);

  it('never announces before the check passes; announces after rise; withdraws after fall', async () => {
    const h = { ok: false };
    const r = await rig(h);
    try {
      await r.a.start();
      await r.router.whenEstablished();
      // Several failed checks on an established session: still nothing announced.
      const seen = r.probes.n;
      expect(await until(() => r.probes.n >= seen + 5, 3000)).to.equal(true);
      expect(r.a.phase).to.equal('down');
      expect(r.updates.flatMap((u) => u.announced())).to.deep.equal([]);
      h.ok = true;
      expect(await until(() => r.updates.flatMap((u) => u.announced()).length === 2, 3000)).to.equal(true);
      expect(r.a.phase).to.equal('up');
      const med = r.updates[0]!.attributes.find((x) => x.type === 'med');
      expect(med).to.deep.include({ value: 7 });
      h.ok = false;
      expect(await until(() => r.updates.flatMap((u) => u.withdrawnAll()).length === 2, 3000)).to.equal(true);
      expect(r.a.status().check.healthy).to.equal(false);
    } finally {
      await r.close();
    }
  });

  it('drain: GRACEFUL_SHUTDOWN plus 3 prepends, then withdrawal, then Cease 6/2; enable() comes back', async () => {
    const h = { ok: true };
    const r = await rig(h);
    try {
      await r.a.start();
      expect(await until(() => r.updates.length === 2, 3000)).to.equal(true);
      const t0 = Date.now();
      const drained = r.a.drain();
      expect(await until(() => r.updates.length === 4, 1000)).to.equal(true);
      const d = r.updates[2]!;
      expect(d.attributes.find((x) => x.type === 'communities')).to.deep.include({ values: [0xffff0000] });
      expect(d.attributes.find((x) => x.type === 'as-path')).to.deep.include({ segments: [{ type: 2, asns: [64511, 64511, 64511, 64511] }] });
      await drained;
      expect(Date.now() - t0).to.be.at.least(300); // the configured drain period was waited
      expect(r.updates.slice(4).flatMap((u) => u.withdrawnAll()).map(String).sort()).to.deep.equal(['192.0.2.53/32', '2001:db8::53/128']);
      expect(await until(() => /Administrative Shutdown \(6\/2\): anypick drained/.test(r.router.status().lastError ?? ''), 2000)).to.equal(true);
      expect(r.a.phase).to.equal('disabled');
      r.a.enable();
      expect(await until(() => r.a.sessions[0]!.announced().length === 2, 5000)).to.equal(true);
    } finally {
      await r.close();
    }
  });

  it('several neighbors: each gets the announcements over its own session', async () => {
    const port = await freePort(['127.0.0.1', '127.0.0.3', '127.0.0.4']);
    const routers = ['127.0.0.3', '127.0.0.4'].map((addr, i) => new Session(neighbor({ address: '127.0.0.1', localAddress: addr, port, localAsn: 65536 + i, peerAsn: 64511, passive: true }), log));
    const listeners = routers.map((r) => new Listener([r], log));
    for (const l of listeners) await l.start();
    for (const r of routers) r.start();
    const a = new Announcer({
      name: 'multi', prefixes: ['2001:db8::53/128'], drainMs: 0, drainPrepend: 3, drainLocalPref: 0,
      neighbors: routers.map((_, i) => neighbor({ address: `127.0.0.${3 + i}`, localAddress: '127.0.0.1', port, localAsn: 64511, peerAsn: 65536 + i, connectRetryMs: 100 })),
      check: { target: { kind: 'exec', command: 'true' }, intervalMs: 20, timeoutMs: 20, rise: 1, fall: 1 },
    }, log, { probe: async () => undefined });
    try {
      await a.start();
      expect(await until(() => routers.every((r) => r.counters.prefixesReceived === 1), 5000)).to.equal(true);
      expect(a.status().sessions.map((x) => [x.neighbor, x.state, x.announced])).to.deep.equal([
        ['127.0.0.3', 'Established', ['2001:db8::53/128']], ['127.0.0.4', 'Established', ['2001:db8::53/128']],
      ]);
    } finally {
      await a.stop();
      for (const r of routers) await r.close();
      for (const l of listeners) await l.close();
    }
  });

  it('status endpoint: JSON status, Prometheus metrics, POST /drain, 404 with a hint', async () => {
    const h = { ok: true };
    const r = await rig(h);
    const { server, address } = await startStatusServer('127.0.0.1:0', {
      status: () => [r.a.status()], drain: () => r.a.drain(), enable: () => r.a.enable(),
    });
    try {
      await r.a.start();
      expect(await until(() => r.a.sessions[0]!.announced().length === 2, 3000)).to.equal(true);
      const st = (await (await fetch(`http://${address}/status`)).json()) as { announcers: { phase: string; sessions: { state: string; announced: string[]; lastTransition: string }[] }[] };
      expect(st.announcers[0]!.phase).to.equal('up');
      expect(st.announcers[0]!.sessions[0]!.state).to.equal('Established');
      expect(Date.parse(st.announcers[0]!.sessions[0]!.lastTransition)).to.be.greaterThan(0);
      const metrics = await (await fetch(`http://${address}/metrics`)).text();
      expect(metrics).to.include('anypick_bgp_session_state{announcer="announce-routes",neighbor="127.0.0.3",otel_scope_name="anypick"} 5');
      expect(metrics).to.include('anypick_bgp_announced_prefixes{announcer="announce-routes",neighbor="127.0.0.3",otel_scope_name="anypick"} 2');
      const nf = await fetch(`http://${address}/nope`);
      expect(nf.status).to.equal(404);
      expect(await nf.text()).to.match(/GET \/status/);
      expect((await fetch(`http://${address}/drain`, { method: 'POST' })).status).to.equal(202);
      expect(await until(() => r.a.phase === 'disabled', 3000)).to.equal(true);
      expect(await metricsText([r.a.status()])).to.include('anypick_bgp_check_healthy{announcer="announce-routes",otel_scope_name="anypick"} 1');
    } finally {
      server.close();
      await r.close();
    }
  });
});
