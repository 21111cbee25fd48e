import { expect } from 'chai';
import pino from 'pino';
import { Writable } from 'node:stream';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { Session } from '../../src/bgp/session';
import { neighbor } from '../../src/bgp/config';
import type { NeighborConfig } from '../../src/bgp/config';
import { until } from './support/bird';
import { MessageReader, decodeMessage, encodeMessage, frame } from '../../src/bgp/wire/message';
import type { Message } from '../../src/bgp/wire/message';
import { Open, standardCapabilities } from '../../src/bgp/wire/open';
import { Notification } from '../../src/bgp/wire/notification';
import { RouteRefresh } from '../../src/bgp/wire/route-refresh';
import { MSG } from '../../src/bgp/wire/constants';
import { problems } from '../../src/cli/commands/status';

/** A pino logger whose lines land in `lines`. */
function capture(): { log: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk: Buffer, _e, cb) { lines.push(...chunk.toString().split('\n').filter(Boolean)); cb(); } });
  return { log: pino({ level: 'debug' }, stream), lines };
}

/**
 * A scripted BGP peer on 127.0.0.2: answers OPEN with OPEN (IPv6 unicast, and IPv4 unless
 * `v6only`) + KEEPALIVE, records what it receives and lets the test send raw bytes.
 */
class FakePeer {
  readonly server: Server;
  readonly received: Message[][] = [];
  accepts: number[] = [];
  sock?: Socket;
  constructor(private readonly opts: { v6only?: boolean; onUpdate?: (s: Socket) => void; closeAtOnce?: boolean } = {}) {
    this.server = createServer((s) => this.onConn(s));
  }
  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen({ host: '127.0.0.2', port: 0 }, r));
    return (this.server.address() as { port: number }).port;
  }
  private onConn(s: Socket): void {
    this.accepts.push(Date.now());
    if (this.opts.closeAtOnce) return void s.destroy();
    this.sock = s;
    const got: Message[] = [];
    this.received.push(got);
    const r = new MessageReader();
    s.on('error', () => undefined);
    s.on('data', (d: Buffer) => {
      for (const raw of r.push(d)) {
        const m = decodeMessage(raw);
        got.push(m);
        if (m.type === 'open') {
          const fams = this.opts.v6only ? [{ afi: 2, safi: 1 }] : [{ afi: 2, safi: 1 }, { afi: 1, safi: 1 }];
          s.write(encodeMessage({ type: 'open', open: new Open({ asn: 65536, holdTime: 90, routerId: '10.0.0.2', capabilities: standardCapabilities(65536, fams) }) }));
          s.write(encodeMessage({ type: 'keepalive' }));
        }
        if (m.type === 'update') this.opts.onUpdate?.(s);
      }
    });
  }
  updates(): number {
    return (this.received[this.received.length - 1] ?? []).filter((m) => m.type === 'update').length;
  }
  close(): Promise<void> {
    this.sock?.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

function session(port: number, log: pino.Logger, extra: Partial<NeighborConfig> = {}): Session {
  return new Session(neighbor({ address: '127.0.0.2', localAddress: '127.0.0.1', port, localAsn: 64511, peerAsn: 65536, routerId: '10.0.0.1', connectRetryMs: 100, ...extra }), log);
}

describe('bgp session against a scripted peer: retries, damping and the smaller protocol rules', function () {
  this.timeout(15000);
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => { for (const c of cleanup.splice(0).reverse()) await c(); });

  it('connection attempts to a peer that closes at once are 1, 2, 4, 8 × the base apart (one count per attempt)', async () => {
    const peer = new FakePeer({ closeAtOnce: true });
    const port = await peer.listen();
    const s = session(port, pino({ level: 'silent' }));
    cleanup.push(() => peer.close(), () => s.close());
    s.start();
    expect(await until(() => peer.accepts.length >= 5, 8000, 10)).to.equal(true);
    const gaps = peer.accepts.slice(1, 5).map((t, i) => t - peer.accepts[i]!);
    // Each gap is the previous one doubled (jitter 0.75–1.0 on each): never the old ×4.
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]! / gaps[i - 1]!, `gaps ${gaps.join(', ')} ms`).to.be.within(1.3, 2.9);
    expect(gaps[0], `gaps ${gaps.join(', ')} ms`).to.be.within(60, 400);
  });

  it('a peer that rejects every UPDATE (3/10) is damped after the second short session, and the log says why', async () => {
    const peer = new FakePeer({ onUpdate: (s) => { s.write(encodeMessage({ type: 'notification', notification: new Notification(3, 10) })); s.end(); } });
    const port = await peer.listen();
    const { log, lines } = capture();
    const s = session(port, log, { flapWithinMs: 5000, flapsAllowed: 2, dampMinMs: 2000, dampMaxMs: 8000 });
    cleanup.push(() => peer.close(), () => s.close());
    s.set({ prefix: '2001:db8::53/128' });
    s.start();
    expect(await until(() => s.counters.establishedTransitions >= 3, 5000, 10)).to.equal(true);
    const third = Date.now();
    await new Promise((r) => setTimeout(r, 1200));
    expect(s.counters.establishedTransitions, 'held back, not the old 1 Hz loop').to.equal(3);
    expect(lines.join('\n')).to.match(/damping the neighbor: 3 sessions in a row ended within 5 s of Established .*next attempt in \d/);
    expect(await until(() => s.counters.establishedTransitions >= 4, 5000, 10)).to.equal(true);
    expect(Date.now() - third).to.be.above(1400);
  });

  it('ROUTE-REFRESH re-sends the requested AFI/SAFI only; an unnegotiated one is ignored (RFC 2918 §4)', async () => {
    const peer = new FakePeer();
    const port = await peer.listen();
    const s = session(port, pino({ level: 'silent' }));
    cleanup.push(() => peer.close(), () => s.close());
    s.set({ prefix: '2001:db8::53/128' }, { prefix: '192.0.2.53/32' });
    s.start();
    expect(await until(() => peer.updates() === 2, 3000, 10)).to.equal(true);
    peer.sock!.write(encodeMessage({ type: 'route-refresh', refresh: new RouteRefresh(2, 1) }));
    expect(await until(() => peer.updates() === 3, 3000, 10)).to.equal(true);
    const last = peer.received[0]!.filter((m) => m.type === 'update').pop()!;
    expect(last.type === 'update' && last.update.announced().map(String)).to.deep.equal(['2001:db8::53/128']);
    peer.sock!.write(encodeMessage({ type: 'route-refresh', refresh: new RouteRefresh(1, 128) }));
    await new Promise((r) => setTimeout(r, 300));
    expect(peer.updates()).to.equal(3);
    expect(s.counters.routeRefreshesReceived).to.equal(2);
  });

  it('prefixesReceived leaves out a treat-as-withdraw UPDATE; header errors count as malformed', async () => {
    const peer = new FakePeer();
    const port = await peer.listen();
    const s = session(port, pino({ level: 'silent' }));
    cleanup.push(() => peer.close(), () => s.close());
    s.start();
    await s.whenEstablished();
    const attrs = (a: string) => {
      const ab = Buffer.from(a, 'hex');
      const len = Buffer.alloc(2);
      len.writeUInt16BE(ab.length);
      return frame(MSG.UPDATE, Buffer.concat([Buffer.from('0000', 'hex'), len, ab, Buffer.from('20c0000235', 'hex')]));
    };
    peer.sock!.write(attrs('40010103' + '400206020100000001' + '400304c6336401')); // ORIGIN 3: treat-as-withdraw
    peer.sock!.write(attrs('40010100' + '400206020100000001' + '400304c6336401'));
    expect(await until(() => s.counters.updatesReceived === 2, 3000, 10)).to.equal(true);
    expect([s.counters.treatAsWithdraw, s.counters.prefixesReceived]).to.deep.equal([1, 1]);
    peer.sock!.write(Buffer.concat([Buffer.alloc(16), Buffer.from('001304', 'hex')]));
    expect(await until(() => s.counters.malformedReceived === 1, 3000, 10)).to.equal(true);
  });

  it('the RFC 9003 shutdown communication of a received Cease is logged', async () => {
    const peer = new FakePeer();
    const port = await peer.listen();
    const { log, lines } = capture();
    const s = session(port, log);
    cleanup.push(() => peer.close(), () => s.close());
    s.start();
    await s.whenEstablished();
    peer.sock!.write(encodeMessage({ type: 'notification', notification: Notification.adminShutdown('maintenance window 42') }));
    expect(await until(() => lines.some((l) => l.includes('received Cease/Administrative Shutdown (6/2) \\"maintenance window 42\\"')), 3000, 10), lines.join('\n')).to.equal(true);
  });

  it('a wanted prefix the peer cannot carry is reported per session, and `anypick status` is unhealthy', async () => {
    const peer = new FakePeer({ v6only: true });
    const port = await peer.listen();
    const s = session(port, pino({ level: 'silent' }));
    cleanup.push(() => peer.close(), () => s.close());
    s.set({ prefix: '2001:db8::53/128' }, { prefix: '192.0.2.53/32' });
    s.start();
    await s.whenEstablished();
    expect(s.status().announced).to.deep.equal(['2001:db8::53/128']);
    expect(s.status().unannounced).to.deep.equal([{ prefix: '192.0.2.53/32', reason: 'the peer did not negotiate IPv4 unicast' }]);
    const st = s.status();
    expect(problems({ bgp: [st] } as Parameters<typeof problems>[0], undefined)).to.deep.equal(['bgp 127.0.0.2: 192.0.2.53/32 not announced (the peer did not negotiate IPv4 unicast)']);
  });
});
