import { expect } from 'chai';
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dnsPacket from 'dns-packet';
import { requireAddon, requireTools } from '../support/tools';
import { MAIN, dig, digAt, startServe } from './serve-process';
import type { ServeProcess } from './serve-process';
import { query } from './helpers';
import { loadAddon } from '../../src/native/addon';
import { IoUnavailableError, udpIo } from '../../src/dns/udp-batch';
import { SAMPLE_DB } from '../geo/support';

const big = Array.from({ length: 12 }, (_, i) => `"${String(i).padEnd(200, 'x')}"`).join(' ');
const ZONE = `$ORIGIN example.com.
$TTL 300
@       3600 IN SOA ns1 hostmaster 7 3600 600 86400 60
@       NS   ns1
ns1     A    192.0.2.53
www     A    192.0.2.1
www     AAAA 2001:db8::1
big     TXT  ${big}
`;
const DELIVERY = join(__dirname, '..', '..', '..', 'examples', 'seed', '3-datacenter-pick.delivery');

function kdig(server: string, port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('kdig', [`@${server}`, '-p', String(port), '+time=2', '+retry=0', ...args], (err, stdout) => (err && !stdout ? reject(new Error(`kdig failed: ${err.message}`, { cause: err })) : resolve(stdout)));
  });
}

/**
 * Sends `count` queries (distinct IDs, www.example.com A, every third with ECS) from `sockets`
 * UDP sockets to `host:port`, in waves of 256 (several recvmmsg batches), and collects the
 * replies by socket. A query whose reply did not come within a second is sent once more
 * (loopback may drop a datagram on a loaded machine); `unanswered` counts those lost twice.
 */
async function flood(host: string, port: number, family: 'udp4' | 'udp6', sockets: number, count: number): Promise<{ answered: number; wrongSocket: number; bad: number; unanswered: number }> {
  const socks: Socket[] = [];
  const waiting = new Map<number, number>();
  let answered = 0;
  let wrongSocket = 0;
  let bad = 0;
  let wake: (() => void) | undefined;
  for (let s = 0; s < sockets; s++) {
    const sock = createSocket({ type: family, recvBufferSize: 1 << 20 });
    sock.on('message', (m) => {
      const d = dnsPacket.decode(m);
      const from = waiting.get(d.id!);
      if (from === undefined) return; // a late duplicate of a resent query
      if (from !== s) wrongSocket++;
      else if ((d as { rcode?: string }).rcode !== 'NOERROR' || (d.answers?.[0] as { data?: string } | undefined)?.data !== '192.0.2.1') bad++;
      else answered++;
      waiting.delete(d.id!);
      if (waiting.size === 0) wake?.();
    });
    await new Promise<void>((r) => sock.bind(0, family === 'udp6' ? '::1' : '127.0.0.1', r));
    socks.push(sock);
  }
  const send = (id: number): void => {
    const ecs = id % 3 === 0 ? { family: 1 as const, sourcePrefix: 24, address: `10.${id % 200}.0.0` } : undefined;
    socks[waiting.get(id)!].send(query('www.example.com', 'A', { id, ecs }), port, host);
  };
  const settle = (): Promise<void> => new Promise((r) => {
    const t = setTimeout(r, 1000);
    wake = () => { clearTimeout(t); r(); };
    if (waiting.size === 0) wake();
  });
  let unanswered = 0;
  for (let from = 0; from < count; from += 256) {
    for (let id = from; id < Math.min(count, from + 256); id++) {
      waiting.set(id, id % sockets);
      send(id);
    }
    await settle();
    for (const id of waiting.keys()) send(id);
    await settle();
    unanswered += waiting.size;
    waiting.clear();
  }
  for (const s of socks) s.close();
  return { answered, wrongSocket, bad, unanswered };
}

describe('dns UDP I/O paths: --io auto|batch|dgram', () => {
  it('auto takes the batch path when the addon loads and falls back to dgram, saying why, when it does not', () => {
    const built = loadAddon('anypick_udp');
    if (process.env.CI) expect(built.ok, built.ok ? '' : built.reason).to.equal(true);
    expect(udpIo('dgram')).to.deep.equal({ mode: 'dgram' });
    const missing = () => ({ ok: false as const, reason: 'native addon anypick_udp is not built' });
    expect(udpIo('auto', missing)).to.deep.equal({ mode: 'dgram', reason: 'native addon anypick_udp is not built' });
    expect(() => udpIo('batch', missing)).to.throw(IoUnavailableError, /--io batch: native addon anypick_udp is not built/);
    expect(udpIo('auto').mode).to.equal(built.ok ? 'batch' : 'dgram');
  });

  it('rejects an unknown --io with a usage error (exit 2)', async () => {
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const p = spawn(process.execPath, [MAIN, 'serve', '--io', 'fast', '--dns', '127.0.0.1:0'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      p.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      p.once('exit', (code) => resolve({ code, stderr }));
    });
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/--io fast: expected one of auto, batch, dgram/);
  });

  for (const io of ['batch', 'dgram'] as const) {
    describe(`anypick serve --io ${io} (dig and kdig against a real process)`, function () {
      this.timeout(60000);
      let dir: string;
      let srv: ServeProcess;
      before(async function () {
        requireTools(this, 'dig', 'kdig');
        if (io === 'batch') requireAddon(this, 'anypick_udp');
        dir = mkdtempSync(join(tmpdir(), `anypick-io-${io}-`));
        writeFileSync(join(dir, 'example.com.zone'), ZONE);
        copyFileSync(DELIVERY, join(dir, '3-datacenter-pick.delivery'));
        srv = await startServe((port) => [dir, '--io', io, '--geoip-db', SAMPLE_DB, '--http', '127.0.0.1:0', '--dns', `[::1]:${port}`]);
      });
      after(async () => {
        if (srv) await srv.stop();
        if (dir) rmSync(dir, { recursive: true, force: true });
      });

      it('says which path it uses in the start log', () => {
        const listening = srv.logs.filter((l) => /dns listening/.test(l)).map((l) => JSON.parse(l) as { io: string; udp: string; host: string; msg: string });
        expect(listening.map((l) => l.host)).to.have.members(['127.0.0.1', '::1']);
        for (const l of listening) {
          expect(l.msg).to.equal('dns listening (udp, tcp)');
          expect(l.io).to.equal(io);
          expect(l.udp).to.equal(io === 'batch' ? 'recvmmsg/sendmmsg' : 'node:dgram');
        }
      });

      it('anypick status shows the path', async () => {
        const line = await srv.waitForLog(/telemetry HTTP listening/);
        const http = (JSON.parse(line) as { address: { port: number } }).address.port;
        const out = await new Promise<string>((resolve) => {
          execFile(process.execPath, [MAIN, 'status', '--http', `127.0.0.1:${http}`], (_err, stdout) => resolve(stdout));
        });
        expect(out).to.match(new RegExp(`^dns: \\d+ queries.*, udp io ${io}$`, 'm'));
      });

      it('answers dig and kdig over IPv4 and IPv6, the datacenter pick with its ECS scope', async () => {
        expect(await dig(srv.port, '+short', 'www.example.com', 'A')).to.equal('192.0.2.1\n');
        expect(await digAt('::1', srv.port, '+short', 'www.example.com', 'AAAA')).to.equal('2001:db8::1\n');
        expect(await kdig('127.0.0.1', srv.port, '+short', 'www.example.com', 'AAAA')).to.equal('2001:db8::1\n');
        expect(await kdig('::1', srv.port, '+short', 'www.example.com', 'A')).to.equal('192.0.2.1\n');
        const asia = await dig(srv.port, 'example.com', 'AAAA', '+subnet=10.3.0.0/24');
        expect(asia).to.match(/CLIENT-SUBNET: 10\.3\.0\.0\/24\/16/);
        expect(asia).to.match(/IN\s+AAAA\s+2001:db8:c001:e400::/);
        const europe6 = await digAt('::1', srv.port, 'example.com', 'AAAA', '+subnet=2001:db8:2::/48');
        expect(europe6).to.match(/IN\s+AAAA\s+2001:db8:478:2800::/);
      });

      it('truncates a too-large UDP answer (TC) and serves it over TCP', async () => {
        const truncated = await dig(srv.port, '+ignore', 'big.example.com', 'TXT');
        expect(truncated).to.match(/flags: qr aa tc rd;/);
        expect(truncated).to.match(/ANSWER: 0,/);
        const retried = await digAt('::1', srv.port, 'big.example.com', 'TXT');
        expect(retried).to.match(/Truncated, retrying in TCP mode/);
        expect(retried).to.match(/ANSWER: 1,/);
        expect(await kdig('127.0.0.1', srv.port, '+tcp', '+short', 'www.example.com', 'A')).to.equal('192.0.2.1\n');
      });

      it('answers thousands of datagrams from many sockets, each reply to the socket that asked (IPv4 and IPv6)', async () => {
        for (const [host, family] of [['127.0.0.1', 'udp4'], ['::1', 'udp6']] as const) {
          const r = await flood(host, srv.port, family, 8, 4096);
          expect(r, host).to.deep.equal({ answered: 4096, wrongSocket: 0, bad: 0, unanswered: 0 });
        }
      });

      it('drops a datagram longer than 4096 bytes or unreadable, and keeps answering', async () => {
        const s = createSocket('udp4');
        await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
        const got: Buffer[] = [];
        s.on('message', (m) => got.push(m));
        s.send(Buffer.alloc(6000, 0x41), srv.port, '127.0.0.1');
        s.send(Buffer.from([1, 2, 3]), srv.port, '127.0.0.1');
        s.send(query('www.example.com', 'A', { id: 4242 }), srv.port, '127.0.0.1');
        for (let i = 0; i < 40 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
        s.close();
        expect(got.map((m) => dnsPacket.decode(m).id)).to.deep.equal([4242]);
      });
    });
  }
});

describe('anypick serve --workers 2 --io batch: one SO_REUSEPORT socket per worker', function () {
  this.timeout(60000);
  it('each worker binds its own UDP socket on the shared port and the kernel spreads clients over them', async function () {
    requireTools(this, 'dig');
    requireAddon(this, 'anypick_udp');
    const dir = mkdtempSync(join(tmpdir(), 'anypick-io-workers-'));
    writeFileSync(join(dir, 'example.com.zone'), ZONE);
    const proc = spawn(process.execPath, [MAIN, 'serve', dir, '--io', 'batch', '--workers', '2', '--query-log', '--http', '127.0.0.1:0', '--dns', '127.0.0.1:0', '--log-level', 'info'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const lines = (): Array<Record<string, unknown>> => stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    try {
      for (let i = 0; i < 200 && lines().filter((l) => /dns listening/.test(String(l.msg))).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
      const up = lines().filter((l) => /dns listening/.test(String(l.msg)));
      expect(up, stderr).to.have.length(2);
      expect(new Set(up.map((l) => l.pid)).size).to.equal(2);
      expect(up[0].port).to.equal(up[1].port);
      for (const l of up) expect(l.udp).to.equal('recvmmsg/sendmmsg, own SO_REUSEPORT socket');
      const port = up[0].port as number;
      // 32 clients (source ports): SO_REUSEPORT hashes each to one worker's socket.
      const r = await flood('127.0.0.1', port, 'udp4', 32, 256);
      expect(r).to.deep.equal({ answered: 256, wrongSocket: 0, bad: 0, unanswered: 0 });
      const byPid = (): Set<unknown> => new Set(lines().filter((l) => l.msg === 'query' && l.proto === 'udp').map((l) => l.pid));
      for (let i = 0; i < 30 && byPid().size < 2; i++) await new Promise((r) => setTimeout(r, 100));
      const answeredBy = byPid();
      expect(answeredBy.size, `both workers answered: ${JSON.stringify(lines().filter((l) => l.msg === 'query').reduce<Record<string, number>>((a, l) => ({ ...a, [String(l.pid)]: (a[String(l.pid)] ?? 0) + 1 }), {}))}`).to.equal(2);
      expect(await dig(port, '+tcp', '+short', 'www.example.com', 'A')).to.equal('192.0.2.1\n');
    } finally {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
