/**
 * A real `anypick serve` under the traffic of issue 13, on loopback (127.0.0.0/8 gives the test
 * many source addresses): TCP connections held idle and dripping one byte at a time, a UDP
 * flood from one /24 with response rate limiting on, DNS cookies across two nodes sharing a
 * secret. The counters are read from `/metrics`.
 */
import { expect } from 'chai';
import { execFile, execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import type { Socket as UdpSocket } from 'node:dgram';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTools } from '../support/tools';
import { startServe } from '../ops/serve-process';
import type { ServeProcess } from '../ops/serve-process';
import { decode, query } from './helpers';

const ZONES = join(__dirname, '..', '..', '..', 'zones');
const GEO = join(__dirname, '..', '..', '..', 'geo-data', 'sample.mmdb');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Raises this process's soft open-file limit (children inherit it): 1,300+ sockets on each side. */
function raiseFdLimit(want: number): void {
  const [soft, hard] = execFileSync('prlimit', ['--pid', String(process.pid), '--nofile', '--output', 'SOFT,HARD', '--noheadings'], { encoding: 'utf8' }).trim().split(/\s+/).map((x) => (x === 'unlimited' ? Infinity : Number(x)));
  if (soft >= want) return;
  const to = Math.min(want, hard);
  execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${to}:${hard === Infinity ? 'unlimited' : hard}`]);
}

/** The value of one series of a Prometheus scrape (0 when absent). */
async function metric(http: number, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${http}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name + '{') && l.includes(labels));
  return line ? Number(line.split(' ').pop()) : 0;
}

/** Opens a TCP connection from `local` (a loopback address). */
function open(port: number, local: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', localAddress: local }, () => resolve(s));
    s.once('error', reject);
  });
}

/** dig over TCP with a 1 s timeout and no retry: resolves with dig's output. */
function digTcp(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile('dig', ['@127.0.0.1', '-p', String(port), '+tcp', '+time=1', '+tries=1', '+retry=0', ...args], (_err, stdout) => resolve(stdout));
  });
}

function dig(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile('dig', ['@127.0.0.1', '-p', String(port), '+time=2', '+tries=1', ...args], (_err, stdout) => resolve(stdout));
  });
}

describe('anypick serve against hostile traffic (issue 13)', function () {
  this.timeout(120_000);
  const servers: ServeProcess[] = [];
  const tmp = mkdtempSync(join(tmpdir(), 'anypick-hostile-'));
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(tmp, { recursive: true, force: true });
  });
  const serve = async (args: string[], env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> => {
    const s = await startServe([ZONES, '--geoip-db', GEO, ...args], env, false, 30_000);
    servers.push(s);
    return s;
  };

  it('keeps answering fresh TCP queries within 1 s while 1,000 connections idle and 300 drip (cap 1,200); the drip ones are closed by the message timeout', async function () {
    requireTools(this, 'dig', 'prlimit');
    raiseFdLimit(8192);
    // A cap below what the attack opens: room comes from closing idle connections, never from refusing.
    const srv = await serve(['--tcp-max-connections', '1200']);
    const port = srv.dnsPort;
    // 1,000 idle connections from 20 addresses (50 each, under the per-address cap).
    const idle: Socket[] = [];
    for (let a = 1; a <= 20; a++) {
      idle.push(...(await Promise.all(Array.from({ length: 50 }, () => open(port, `127.0.1.${a}`)))));
    }
    // 300 drip connections from 5 addresses: the first byte of a frame, then one byte every 4 s.
    const drip: Socket[] = [];
    // Each writes its first byte as soon as it is connected: from then on it is mid-message, so
    // only the message timeout may close it (a drip that has not started yet is merely idle).
    const startDrip = (s: Socket): Socket => (s.write(Buffer.from([0])), s);
    for (let a = 1; a <= 5; a++) drip.push(...(await Promise.all(Array.from({ length: 60 }, () => open(port, `127.0.2.${a}`).then(startDrip)))));
    const dripClosed = drip.map((s) => new Promise<void>((r) => (s.destroyed ? r() : s.once('close', () => r()))));
    for (const s of [...idle, ...drip]) s.on('error', () => undefined);
    const dripper = setInterval(() => { for (const s of drip) if (s.writable) s.write(Buffer.from([0])); }, 4000);
    try {
      // Fresh TCP queries, one after another, each with a 1 s timeout in dig.
      for (let i = 0; i < 10; i++) {
        const out = await digTcp(port, 'example.com', 'SOA');
        expect(out, `fresh TCP query ${i}`).to.match(/status: NOERROR/);
        await sleep(300);
      }
      await Promise.all(dripClosed);
    } finally {
      clearInterval(dripper);
    }
    expect(await metric(srv.httpPort, 'anypick_dns_tcp_closed_total', 'reason="message_timeout"')).to.be.at.least(300);
    expect(await metric(srv.httpPort, 'anypick_dns_tcp_refused_total', 'reason="full"')).to.equal(0);
    // 1,310 connections against a cap of 1,200: at least 110 idle ones were closed, by the
    // shrinking idle timeout or to make room for a new connection.
    const idleClosed = (await metric(srv.httpPort, 'anypick_dns_tcp_closed_total', 'reason="idle"')) + (await metric(srv.httpPort, 'anypick_dns_tcp_closed_total', 'reason="evicted_full"'));
    expect(idleClosed).to.be.at.least(110);
    for (const s of idle) s.destroy();
  });

  it('rate limits a UDP flood from one /24 (--rrl 50 --rrl-slip 2) while another /24 gets every answer', async () => {
    const srv = await serve(['--rrl', '50', '--rrl-slip', '2']);
    const port = srv.dnsPort;
    const bind = (addr: string): Promise<UdpSocket> => new Promise((r) => { const s = createSocket('udp4'); s.bind(0, addr, () => r(s)); });
    // The flood comes from four addresses of 127.0.3.0/24: one bucket.
    const flood = await Promise.all([1, 2, 3, 4].map((i) => bind(`127.0.3.${i}`)));
    const other = await bind('127.0.4.1');
    const got = { full: 0, tc: 0, other: 0, otherTc: 0 };
    for (const s of flood) s.on('message', (m) => { if (m[2] & 0x02) got.tc++; else if (m.readUInt16BE(6) > 0) got.full++; });
    other.on('message', (m) => { if (m[2] & 0x02) got.otherTc++; else if (m.readUInt16BE(6) > 0) got.other++; });
    const q = query('example.com', 'SOA', { udp: 1232 });
    const started = Date.now();
    // 1,000 queries in ~1 s: 50 every 50 ms; the other /24 sends 40 in the same second.
    for (let tick = 0; tick < 20; tick++) {
      for (let i = 0; i < 50; i++) flood[i % 4].send(q, port, '127.0.0.1');
      if (tick % 10 < 4) for (let i = 0; i < 5; i++) other.send(q, port, '127.0.0.1');
      await sleep(50);
    }
    const seconds = (Date.now() - started) / 1000;
    await sleep(500);
    for (const s of [...flood, other]) s.close();
    const limited = 1000 - got.full;
    // A full bucket (50) and its refill over the flood's duration; slip 2: every other limited reply is TC=1.
    expect(got.full, 'full answers to the flood').to.be.at.most(Math.ceil(50 + 50 * seconds) + 5);
    expect(got.full).to.be.at.least(50);
    expect(got.tc, 'TC=1 slips').to.be.within(Math.floor(limited * 0.4), Math.ceil(limited * 0.6));
    expect(got.other, 'the other /24').to.equal(40);
    expect(got.otherTc).to.equal(0);
    expect(await metric(srv.httpPort, 'anypick_dns_rrl_slipped_total')).to.equal(got.tc);
    expect(await metric(srv.httpPort, 'anypick_dns_dropped_total', 'reason="rrl"')).to.equal(1000 - got.full - got.tc);
  });

  it('gives dig +cookie a good server cookie that a second node with the same secret accepts, and exempts it from rate limiting', async function () {
    requireTools(this, 'dig');
    const secret = 'a3f1c2d4e5f60718293a4b5c6d7e8f90';
    const file = join(tmp, 'cookie.secret');
    writeFileSync(file, secret + '\n', { mode: 0o600 });
    const node1 = await serve(['--cookie-secret-file', file]);
    const node2 = await serve(['--rrl', '5', '--rrl-slip', '1'], { ANYPICK_COOKIE_SECRET: secret });
    const node3 = await serve([]); // a random secret of its own
    const first = await dig(node1.dnsPort, 'example.com', 'SOA', '+cookie');
    const m = /; COOKIE: ([0-9a-f]{48}) \(good\)/.exec(first);
    expect(m, first).to.not.equal(null);
    const cookie = m![1];
    // 20 queries to node 2 with node 1's cookie: all answered in full, though the rate is 5/s.
    const outs = await Promise.all(Array.from({ length: 20 }, () => dig(node2.dnsPort, 'example.com', 'SOA', `+cookie=${cookie}`)));
    for (const o of outs) {
      expect(o).to.match(/status: NOERROR/);
      expect(o).to.match(/ANSWER: 1,/);
      expect(o).to.match(/; COOKIE: [0-9a-f]{48} \(good\)/);
    }
    expect(await metric(node2.httpPort, 'anypick_dns_cookies_total', 'outcome="good"')).to.equal(20);
    expect(await metric(node2.httpPort, 'anypick_dns_rrl_cookie_exempt_total')).to.equal(20);
    // Node 3 does not share the secret: the cookie is invalid there, answered with a fresh one.
    const other = await dig(node3.dnsPort, 'example.com', 'SOA', `+cookie=${cookie}`);
    expect(other).to.match(/status: NOERROR/);
    expect(await metric(node3.httpPort, 'anypick_dns_cookies_total', 'outcome="bad"')).to.equal(1);
  });

  it('slips BADCOOKIE with a fresh server cookie to a rate-limited query that has a client cookie only', async () => {
    const node = servers[servers.length - 2]; // --rrl 5 --rrl-slip 1
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.6.1', () => r()));
    const rcodes: number[] = [];
    const cookies: Buffer[] = [];
    sock.on('message', (m) => {
      // RFC 6891 §6.1.3: the extended RCODE's upper bits are in the OPT record.
      const opt = decode(m).additionals?.find((r) => r.type === 'OPT') as { extendedRcode?: number; options?: Array<{ code: number; data: Buffer }> } | undefined;
      const rcode = ((opt?.extendedRcode ?? 0) << 4) | (m[3] & 0xf);
      rcodes.push(rcode);
      if (rcode === 23) cookies.push(opt!.options!.find((o) => o.code === 10)!.data);
    });
    const q = query('example.com', 'SOA', { options: [{ code: 10, data: Buffer.from('0102030405060708', 'hex') }] });
    for (let i = 0; i < 30; i++) sock.send(q, node.dnsPort, '127.0.0.1');
    await sleep(500);
    sock.close();
    expect(rcodes.length).to.equal(30);
    expect(rcodes.filter((r) => r === 0).length, 'answered').to.be.within(5, 7);
    expect(rcodes.filter((r) => r === 23).length, 'BADCOOKIE').to.equal(30 - rcodes.filter((r) => r === 0).length);
    // RFC 7873 §5.2.3: the client cookie echoed and a 16-byte RFC 9018 server cookie (version 1).
    for (const c of cookies) {
      expect(c.length).to.equal(24);
      expect(c.subarray(0, 8).toString('hex')).to.equal('0102030405060708');
      expect(c[8]).to.equal(1);
    }
  });
  it('re-reads the cookie secret file on SIGHUP: cookies of the old secret are then bad, a bad file keeps the secret in use', async function () {
    requireTools(this, 'dig');
    const file = join(tmp, 'rotating.secret');
    writeFileSync(file, '00112233445566778899aabbccddeeff\n', { mode: 0o600 });
    const node = await serve(['--cookie-secret-file', file]);
    const cookieOf = async (): Promise<string> => {
      const out = await dig(node.dnsPort, 'example.com', 'SOA', '+cookie');
      const m = /; COOKIE: ([0-9a-f]{48}) \(good\)/.exec(out);
      expect(m, out).to.not.equal(null);
      return m![1];
    };
    const old = await cookieOf();
    const verdict = async (cookie: string): Promise<string> => {
      const out = await dig(node.dnsPort, 'example.com', 'SOA', `+cookie=${cookie}`);
      return /; COOKIE: [0-9a-f]{48} \(good\)/.test(out) ? 'good' : 'fresh';
    };
    const bad = async (): Promise<number> => metric(node.httpPort, 'anypick_dns_cookies_total', 'outcome="bad"');
    expect(await bad()).to.equal(0);
    await verdict(old);
    expect(await bad(), 'the old cookie before the change').to.equal(0);
    writeFileSync(file, 'ffeeddccbbaa99887766554433221100\n');
    node.child.kill('SIGHUP');
    // The old cookie turns bad once the new secret is taken (the reply carries a fresh cookie).
    for (let i = 0; (await bad()) === 0; i++) {
      expect(i, 'the old cookie is still accepted after SIGHUP').to.be.below(50);
      await sleep(100);
      await verdict(old);
    }
    const current = await cookieOf();
    expect(await bad()).to.be.at.least(1);
    // A file that cannot be parsed: the secret in use stays, its cookies stay good.
    writeFileSync(file, 'not hex\n');
    node.child.kill('SIGHUP');
    await sleep(500);
    const before = await bad();
    await verdict(current);
    expect(await bad(), 'a cookie of the secret in use after a bad file').to.equal(before);
    expect(node.child.exitCode).to.equal(null);
  });
});
