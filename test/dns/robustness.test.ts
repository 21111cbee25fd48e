import { expect } from 'chai';
import { createSocket } from 'node:dgram';
import type { Socket as UdpSocket } from 'node:dgram';
import { connect } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTools } from '../support/tools';
import { dig, startServe } from './serve-process';
import type { ServeProcess } from './serve-process';
import { query } from './helpers';
import { seededRandom } from '../../src/pick/random';

const ZONE = `$ORIGIN example.com.
$TTL 300
@    3600 IN SOA ns1 hostmaster 1 3600 600 86400 60
@    NS   ns1
@    MX   10 mail
ns1  A    192.0.2.53
www  A    192.0.2.1
mail A    192.0.2.25
*.w  TXT  "wild"
sub  NS   ns.sub
ns.sub A  192.0.2.99
`;

/** Deterministic PRNG, so a failure can be replayed from its seed. */
const rng = seededRandom;

const seeds = [
  query('www.example.com', 'A'),
  query('WWW.example.com', 'AAAA', { udp: 4096 }),
  query('x.w.example.com', 'TXT', { ecs: { family: 1, sourcePrefix: 24, address: '198.51.100.0' } }),
  query('a.sub.example.com', 'A', { udp: 1232 }),
  query('example.com', 'ANY', { ecs: { family: 2, sourcePrefix: 48, address: '2001:db8:1::' } }),
  query('nope.example.com', 'MX'),
];

/** A random or mutated query. */
function fuzzPacket(r: () => number): Buffer {
  if (r() < 0.3) {
    const b = Buffer.alloc(Math.floor(r() * 600));
    for (let i = 0; i < b.length; i++) b[i] = Math.floor(r() * 256);
    return b;
  }
  let b = Buffer.from(seeds[Math.floor(r() * seeds.length)]);
  const n = 1 + Math.floor(r() * 4);
  for (let k = 0; k < n; k++) {
    const m = r();
    if (m < 0.4 && b.length > 0) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
    else if (m < 0.55) b = b.subarray(0, Math.floor(r() * b.length));
    else if (m < 0.7) b = Buffer.concat([b, Buffer.from(Array.from({ length: Math.floor(r() * 40) }, () => Math.floor(r() * 256)))]);
    else if (m < 0.85 && b.length >= 12) b.writeUInt16BE(Math.floor(r() * 65536), 4 + 2 * Math.floor(r() * 4));
    else if (b.length > 14) b[12 + Math.floor(r() * (b.length - 12))] = 0xc0 | Math.floor(r() * 64);
  }
  b[2] &= 0x7f; // mostly queries, so they get past the QR check
  return b;
}

/** Sends `count` UDP packets from a few sockets, paced so the server's socket buffer keeps up. */
async function udpRound(port: number, r: () => number, count: number): Promise<number> {
  const socks: UdpSocket[] = [];
  let replies = 0;
  for (let i = 0; i < 4; i++) {
    const s = createSocket('udp4');
    s.on('message', () => replies++);
    s.on('error', () => undefined);
    await new Promise<void>((res) => s.bind(0, '127.0.0.1', res));
    socks.push(s);
  }
  for (let sent = 0; sent < count; ) {
    for (let j = 0; j < 200 && sent < count; j++, sent++) socks[sent % 4].send(fuzzPacket(r), port, '127.0.0.1');
    await new Promise((res) => setTimeout(res, 3));
  }
  // Until the replies stop coming (the server has worked through its socket buffer).
  for (let last = -1; replies !== last; ) {
    last = replies;
    await new Promise((res) => setTimeout(res, 50));
  }
  for (const s of socks) s.close();
  return replies;
}

/** Several TCP connections: framed fuzz, raw garbage, and a stalled half frame. */
async function tcpRound(port: number, r: () => number, frames: number): Promise<number> {
  let replyBytes = 0;
  const conn = (chunks: Buffer[]): Promise<void> =>
    new Promise((resolve) => {
      const s = connect(port, '127.0.0.1', () => void (async () => {
        for (const c of chunks) {
          if (!s.write(c)) await new Promise((res) => s.once('drain', res));
        }
        setTimeout(() => s.destroy(), 200);
      })());
      s.on('data', (d) => (replyBytes += d.length));
      s.on('error', () => undefined);
      s.on('close', () => resolve());
    });
  const framed = (): Buffer[] => {
    const out: Buffer[] = [];
    for (let i = 0; i < frames / 4; i++) {
      const p = fuzzPacket(r);
      const f = Buffer.alloc(2 + p.length);
      f.writeUInt16BE(p.length, 0);
      p.copy(f, 2);
      out.push(f);
    }
    return out;
  };
  const garbage = Buffer.from(Array.from({ length: 200000 }, () => Math.floor(r() * 256)));
  const stalled = Buffer.from([0xff, 0xff, 1, 2, 3]);
  await Promise.all([conn(framed()), conn(framed()), conn(framed()), conn(framed()), conn([garbage]), conn([stalled])]);
  return replyBytes;
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

describe('anypick serve robustness (fuzzed UDP and TCP)', function () {
  this.timeout(90000);
  let dir: string;
  let srv: ServeProcess;

  before(async function () {
    requireTools(this, 'dig');
    dir = mkdtempSync(join(tmpdir(), 'anypick-fuzz-'));
    writeFileSync(join(dir, 'example.com.zone'), ZONE);
    srv = await startServe([dir]);
  });
  after(async () => {
    if (srv) await srv.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('survives 2 × (60,000 UDP + 10,000 TCP) random and mutated packets, keeps answering, RSS stable', async () => {
    const r = rng(20261125);
    const rss: number[] = [];
    for (let round = 0; round < 2; round++) {
      const udpReplies = await udpRound(srv.port, r, 60000);
      const tcpBytes = await tcpRound(srv.port, r, 10000);
      expect(udpReplies, 'the server answered the malformed-but-readable ones').to.be.greaterThan(10000);
      expect(tcpBytes).to.be.greaterThan(0);
      expect(srv.child.exitCode).to.equal(null);
      rss.push(rssKb(srv.child.pid!));
      process.stdout.write(`      round ${round + 1}: ${udpReplies} UDP replies, ${tcpBytes} TCP reply bytes, RSS ${rss[round]} kB\n`);
    }
    // Stable: the second round must not grow memory by more than a quarter plus 24 MB of heap slack.
    expect(rss[1]).to.be.at.most(rss[0] * 1.25 + 24 * 1024);
    expect(await dig(srv.port, '+short', 'www.example.com', 'A')).to.equal('192.0.2.1\n');
    expect(await dig(srv.port, '+tcp', '+short', 'example.com', 'MX')).to.equal('10 mail.example.com.\n');
    expect(await dig(srv.port, 'nope.example.com', 'A')).to.match(/status: NXDOMAIN/);
  });
});
