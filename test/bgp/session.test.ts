import { freePort } from '../support/ports';
import { expect } from 'chai';
import pino from 'pino';
import { Session } from '../../src/bgp/session';
import { Listener } from '../../src/bgp/listener';
import { neighbor } from '../../src/bgp/config';
import type { NeighborConfig } from '../../src/bgp/config';
import { until } from './support/bird';
import { resolveCollision } from '../../src/bgp/collision';
import { createConnection } from 'node:net';
import { MessageReader, decodeMessage, encodeMessage, frame } from '../../src/bgp/wire/message';
import { Open, standardCapabilities } from '../../src/bgp/wire/open';
import { MSG } from '../../src/bgp/wire/constants';

const log = pino({ level: 'silent' });

/** Two anypick speakers on loopback (127.0.0.1 ↔ 127.0.0.2) on one port the kernel chose. */
async function pair(a: Partial<NeighborConfig>, b: Partial<NeighborConfig>) {
  const port = await freePort(['127.0.0.1', '127.0.0.2']);
  const sa = new Session(neighbor({ address: '127.0.0.2', localAddress: '127.0.0.1', port, localAsn: 64511, peerAsn: 65536, routerId: '10.0.0.1', connectRetryMs: 100, ...a }), log);
  const sb = new Session(neighbor({ address: '127.0.0.1', localAddress: '127.0.0.2', port, localAsn: 65536, peerAsn: 64511, routerId: '10.0.0.2', connectRetryMs: 100, ...b }), log);
  const la = new Listener([sa], log);
  const lb = new Listener([sb], log);
  await la.start();
  await lb.start();
  return {
    sa, sb,
    async close() {
      await Promise.all([sa.close(), sb.close()]);
      await Promise.all([la.close(), lb.close()]);
    },
  };
}

describe('bgp session between two anypick speakers on loopback', function () {
  this.timeout(10000);

  it('both active: the connection collision resolves to one Established session (RFC 4271 §6.8)', async () => {
    const p = await pair({}, {});
    try {
      p.sa.start();
      p.sb.start();
      await Promise.all([p.sa.whenEstablished(), p.sb.whenEstablished()]);
      // Both sides opened a connection, so at least one of them saw the peer's second connection
      // and resolved it (the counter moves when the peer's OPEN decides the race).
      const collisions = (): number => p.sa.status().counters.collisions + p.sb.status().counters.collisions;
      expect(await until(() => collisions() >= 1, 5000), `collisions counted: ${collisions()}`).to.equal(true);
      expect([p.sa.state, p.sb.state]).to.deep.equal(['Established', 'Established']);
      // The losing connection was closed without taking the session down.
      expect([p.sa.status().counters.establishedTransitions, p.sb.status().counters.establishedTransitions]).to.deep.equal([1, 1]);
      expect([p.sa.status().peerRouterId, p.sb.status().peerRouterId]).to.deep.equal(['10.0.0.2', '10.0.0.1']);
    } finally {
      await p.close();
    }
  });

  it('set() announces, diffs and withdraws; the peer counts UPDATEs', async () => {
    const p = await pair({}, { passive: true });
    try {
      p.sb.start();
      p.sa.start();
      await p.sa.whenEstablished();
      p.sa.set({ prefix: '192.0.2.53/32' }, { prefix: '2001:db8::53/128' });
      expect(p.sa.announced().sort()).to.deep.equal(['192.0.2.53/32', '2001:db8::53/128']);
      expect(await until(() => p.sb.counters.prefixesReceived === 2, 3000)).to.equal(true);
      p.sa.set({ prefix: '192.0.2.53/32' }, { prefix: '2001:db8::53/128' }); // unchanged: nothing sent
      expect(p.sa.counters.announcementsSent).to.equal(2);
      p.sa.set({ prefix: '2001:db8::53/128', communities: [0xffff0000] }); // changed attributes + one withdrawal
      expect(p.sa.counters.announcementsSent).to.equal(3);
      expect(p.sa.counters.withdrawalsSent).to.equal(1);
      expect(p.sa.announced()).to.deep.equal(['2001:db8::53/128']);
      expect(await until(() => p.sb.counters.updatesReceived === 4, 3000)).to.equal(true);
    } finally {
      await p.close();
    }
  });

  it('hold times negotiate to the smaller one; close() sends Cease/Administrative Shutdown', async () => {
    const p = await pair({ holdTime: 30 }, { holdTime: 6, passive: true });
    try {
      p.sb.start();
      p.sa.start();
      await Promise.all([p.sa.whenEstablished(), p.sb.whenEstablished()]);
      expect([p.sa.status().holdTime, p.sb.status().holdTime]).to.deep.equal([6, 6]);
      await p.sa.close('maintenance');
      expect(await until(() => p.sb.status().lastError !== null, 3000)).to.equal(true);
      expect(p.sb.status().lastError).to.equal('received Cease/Administrative Shutdown (6/2): maintenance');
    } finally {
      await p.close();
    }
  });

  it('a wrong peer AS is refused with 2/2 and retried with backoff', async () => {
    const p = await pair({ peerAsn: 65000 }, { passive: true });
    try {
      p.sb.start();
      p.sa.start();
      expect(await until(() => (p.sa.status().lastError ?? '').includes('Bad Peer AS (2/2)'), 3000)).to.equal(true);
      expect(p.sa.state).to.not.equal('Established');
      expect(await until(() => p.sb.counters.notificationsReceived >= 2, 3000), 'retried').to.equal(true);
    } finally {
      await p.close();
    }
  });
});

describe('bgp connection collision rule (RFC 4271 §6.8)', () => {
  const rows: [Parameters<typeof resolveCollision>, string][] = [
    [['OpenConfirm', '10.0.0.1', '10.0.0.2', true], 'keep-new'], // we are lower: give up ours
    [['OpenConfirm', '10.0.0.2', '10.0.0.1', true], 'keep-existing'], // we are higher: keep ours
    [['OpenSent', '10.0.0.2', '10.0.0.1', false], 'keep-new'], // existing was theirs too: newest wins
    [['OpenSent', '9.255.255.255', '10.0.0.0', true], 'keep-new'], // compared as 32-bit numbers
    [['Established', '10.0.0.1', '10.0.0.2', true], 'keep-existing'],
    [['Connect', '10.0.0.2', '10.0.0.1', true], 'keep-new'],
    [['Active', '10.0.0.2', '10.0.0.1', true], 'keep-new'],
  ];
  for (const [args, want] of rows) {
    it(`${args.join(' ')} → ${want}`, () => expect(resolveCollision(...args)).to.equal(want));
  }
});

describe('bgp session: whatever a peer sends, the process survives and answers with a NOTIFICATION', function () {
  this.timeout(10000);
  const rows: [string, Buffer, string][] = [
    ['a broken marker', Buffer.concat([Buffer.alloc(16), Buffer.from('001304', 'hex')]), '1/1'],
    ['an UPDATE with a 33-bit IPv4 prefix', frame(MSG.UPDATE, Buffer.from('0000000021c0000235ff', 'hex')), '3/10'],
    ['a second OPEN', encodeMessage({ type: 'open', open: new Open({ asn: 65536, holdTime: 90, routerId: '10.0.0.2', capabilities: [] }) }), '5/3'],
    ['a ROUTE-REFRESH of the wrong length', frame(MSG.ROUTE_REFRESH, Buffer.from('0002000100', 'hex')), '7/1'],
  ];
  for (const [what, bytes, want] of rows) {
    it(`${what} → ${want}`, async () => {
      const port = await freePort(['127.0.0.1']);
      const s = new Session(neighbor({ address: '127.0.0.2', localAddress: '127.0.0.1', port, localAsn: 64511, peerAsn: 65536, passive: true }), log);
      const l = new Listener([s], log);
      await l.start();
      s.start();
      const got: Buffer[] = [];
      const reader = new MessageReader();
      const sock = createConnection({ host: '127.0.0.1', port, localAddress: '127.0.0.2' });
      try {
        sock.on('data', (d: Buffer) => got.push(...reader.push(d)));
        const closed = new Promise((r) => sock.on('close', r));
        await new Promise((r) => sock.once('connect', r));
        const open = new Open({ asn: 65536, holdTime: 90, routerId: '10.0.0.2', capabilities: standardCapabilities(65536, [{ afi: 2, safi: 1 }]) });
        sock.write(encodeMessage({ type: 'open', open }));
        sock.write(encodeMessage({ type: 'keepalive' }));
        await s.whenEstablished();
        sock.write(bytes);
        await closed;
        const last = decodeMessage(got[got.length - 1]!);
        expect(last.type === 'notification' && `${last.notification.errorCode}/${last.notification.subcode}`).to.equal(want);
        expect(s.status().lastError).to.match(new RegExp(`^sent .*\\(${want}\\)$`));
        expect(s.counters.notificationsSent).to.equal(1);
      } finally {
        sock.destroy();
        await s.close();
        await l.close();
      }
    });
  }
});
