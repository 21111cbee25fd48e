import { expect } from 'chai';
import { TcpConnectionTable, addressKey, defaultMaxConnections, tcpLimits } from '../../src/dns/tcp-limits';
import type { TcpConn } from '../../src/dns/tcp-limits';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A connection stand-in that records being closed. */
function conn(key: string, lastActive: number, frameStart = 0): TcpConn & { closed: boolean } {
  const c = { key, lastActive, frameStart, writing: false, closed: false, close: () => { c.closed = true; } };
  return c;
}

function table(o: Parameters<typeof tcpLimits>[0]) {
  const closed: string[] = [];
  const refused: string[] = [];
  const t = new TcpConnectionTable(tcpLimits(o), (r) => closed.push(r), (r) => refused.push(r));
  return { t, closed, refused };
}

describe('TCP connection table (RFC 7766 §6.2.3)', () => {
  it('shrinks the idle timeout linearly from half full to the minimum at the cap', () => {
    const { t } = table({ maxConnections: 10, idleTimeoutMs: 10_000, minIdleTimeoutMs: 1_000, maxPerAddress: 10 });
    const seen: number[] = [];
    for (let i = 0; i < 10; i++) {
      t.admit(conn(`192.0.2.${i}`, 0));
      seen.push(t.idleTimeoutMs());
    }
    expect(seen.slice(0, 5)).to.deep.equal([10_000, 10_000, 10_000, 10_000, 10_000]);
    expect(seen[7]).to.equal(4_600);
    expect(seen[9]).to.equal(1_000);
  });

  it('closes the oldest idle connection when full, and refuses only when all are mid-message', () => {
    const { t, closed, refused } = table({ maxConnections: 3, maxPerAddress: 10 });
    const a = conn('192.0.2.1', 100), b = conn('192.0.2.2', 50, 40), c = conn('192.0.2.3', 200);
    for (const x of [a, b, c]) expect(t.admit(x)).to.equal(true);
    t.touch(a, 300); // a is now younger than c
    expect(t.admit(conn('192.0.2.4', 400))).to.equal(true);
    expect(c.closed, 'oldest idle').to.equal(true);
    expect(b.closed, 'mid-message is never evicted').to.equal(false);
    expect(closed).to.deep.equal(['evicted_full']);
    const { t: t2, refused: r2 } = table({ maxConnections: 2, maxPerAddress: 10 });
    t2.admit(conn('192.0.2.1', 0, 1));
    t2.admit(conn('192.0.2.2', 0, 1));
    expect(t2.admit(conn('192.0.2.3', 5))).to.equal(false);
    expect(r2).to.deep.equal(['full']);
    expect(refused).to.deep.equal([]);
  });

  it('caps connections per address: that client\'s own oldest idle one makes room', () => {
    const { t, closed, refused } = table({ maxConnections: 100, maxPerAddress: 2 });
    const a1 = conn('192.0.2.1', 10), a2 = conn('192.0.2.1', 5), other = conn('192.0.2.9', 0);
    for (const x of [a1, a2, other]) t.admit(x);
    expect(t.admit(conn('192.0.2.1', 20))).to.equal(true);
    expect(a2.closed).to.equal(true);
    expect(other.closed, 'another client is untouched').to.equal(false);
    expect(closed).to.deep.equal(['evicted_per_address']);
    a1.frameStart = 15;
    t.admit(conn('192.0.2.1', 30)); // evicts the one admitted at 20
    const busy = table({ maxConnections: 100, maxPerAddress: 1 });
    busy.t.admit(conn('192.0.2.1', 0, 1));
    expect(busy.t.admit(conn('192.0.2.1', 1))).to.equal(false);
    expect(busy.refused).to.deep.equal(['per_address']);
    expect(refused).to.deep.equal([]);
  });

  it('sweeps: a frame older than the message timeout, a connection idle past the idle timeout', () => {
    const { t, closed } = table({ maxConnections: 100, maxPerAddress: 10, idleTimeoutMs: 5_000, messageTimeoutMs: 2_000 });
    const drip = conn('192.0.2.1', 1_900, 100), idle = conn('192.0.2.2', 0), fresh = conn('192.0.2.3', 4_000);
    for (const x of [drip, idle, fresh]) t.admit(x);
    t.sweep(2_050);
    expect(closed).to.deep.equal([]);
    t.sweep(2_200);
    expect(drip.closed).to.equal(true);
    t.sweep(5_100);
    expect(idle.closed).to.equal(true);
    expect(fresh.closed).to.equal(false);
    expect(closed).to.deep.equal(['message_timeout', 'idle']);
    expect(t.size).to.equal(1);
  });

  it('a connection mid-frame is closed by the message timeout only, even when the idle timeout has shrunk below it', () => {
    // Full table: the idle timeout is at its 1 s minimum, the message timeout 2 s.
    const { t, closed } = table({ maxConnections: 2, maxPerAddress: 10, idleTimeoutMs: 10_000, minIdleTimeoutMs: 1_000, messageTimeoutMs: 2_000 });
    const drip = conn('192.0.2.1', 0, 0), idle = conn('192.0.2.2', 0);
    for (const x of [drip, idle]) t.admit(x);
    drip.frameStart = 100;
    drip.lastActive = 100;
    t.sweep(1_500);
    expect(idle.closed, 'idle past the shrunk 1 s timeout').to.equal(true);
    expect(drip.closed, 'mid-frame at 1.4 s: within the message timeout').to.equal(false);
    t.sweep(2_200);
    expect(closed).to.deep.equal(['idle', 'message_timeout']);
  });

  it('keys clients by IPv4 address and IPv6 /64; defaults the cap to half the open-file limit', () => {
    expect(addressKey('::ffff:192.0.2.1')).to.equal('192.0.2.1');
    expect(addressKey('2001:db8:1:2:aaaa::1')).to.equal(addressKey('2001:db8:1:2:bbbb::9'));
    expect(addressKey('2001:db8:1:3::1')).to.not.equal(addressKey('2001:db8:1:2::1'));
    const dir = mkdtempSync(join(tmpdir(), 'anypick-limits-'));
    try {
      writeFileSync(join(dir, 'limits'), 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            4096                 524288               files\n');
      expect(defaultMaxConnections(join(dir, 'limits'))).to.equal(2048);
      expect(defaultMaxConnections(join(dir, 'absent'))).to.equal(1024);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
