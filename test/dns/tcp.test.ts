import { expect } from 'chai';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { startDnsServer } from '../../src/dns/server';
import type { DnsServer } from '../../src/dns/server';
import { DnsEngine } from '../../src/dns/engine';
import { DataSet } from '../../src/dns/store';
import { decode, query, rr, silentLogger, testZones, zone } from './helpers';

function frame(q: Buffer): Buffer {
  const f = Buffer.alloc(2 + q.length);
  f.writeUInt16BE(q.length, 0);
  q.copy(f, 2);
  return f;
}

/** Opens a connection; resolves once connected. */
function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
}

/** Resolves when the server closes the socket. */
const closed = (s: Socket): Promise<void> => new Promise((r) => (s.destroyed ? r() : s.once('close', () => r())));

/** Reads `n` framed replies. */
function replies(s: Socket, n: number): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        out.push(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (out.length >= n) {
        s.off('data', onData);
        resolve(out);
      }
    };
    s.on('data', onData);
    s.once('close', () => reject(new Error(`closed after ${out.length} of ${n} replies`)));
  });
}

describe('dns over TCP (RFC 7766)', function () {
  this.timeout(20000);
  const huge = Array.from({ length: 250 }, (_, i) => Buffer.from(String(i).padEnd(250, 'y')));
  let srv: DnsServer;
  before(async () => {
    srv = await startDnsServer({
      listen: [{ host: '127.0.0.1', port: 0 }],
      zones: [...testZones(), zone('huge.test', [rr('t.huge.test', 'TXT', huge)])],
      logger: silentLogger,
      tcp: { idleTimeoutMs: 300, minIdleTimeoutMs: 300, maxConnections: 3, messageTimeoutMs: 400 },
    });
  });
  after(async () => srv && srv.close());
  const port = (): number => srv.addresses()[0].port;

  it('binds UDP and TCP on the same actual port when asked for port 0', () => {
    expect(port()).to.be.greaterThan(0);
  });

  it('answers a message sent one byte at a time', async () => {
    const s = await open(port());
    const f = frame(query('www.example.com', 'A', { id: 31 }));
    const got = replies(s, 1);
    for (const b of f) {
      s.write(Buffer.from([b]));
      await new Promise((r) => setTimeout(r, 2)); // pacing, so the bytes travel in separate segments
    }
    const [r] = await got;
    expect(decode(r).id).to.equal(31);
    s.destroy();
  });

  it('sends a reply of nearly 65535 bytes whole over TCP', async () => {
    const s = await open(port());
    s.write(frame(query('t.huge.test', 'TXT')));
    const [r] = await replies(s, 1);
    expect(r.length).to.be.greaterThan(60000);
    expect(r.length).to.be.at.most(65535);
    const d = decode(r);
    expect(d.flag_tc).to.equal(false);
    expect((d.answers?.[0] as { data: Buffer[] }).data).to.have.length(250);
    s.destroy();
  });

  it('keeps a near-64 KB reply with an ECS option within 65535 bytes', async () => {
    const s = await open(port());
    s.write(frame(query('t.huge.test', 'TXT', { ecs: { family: 2, sourcePrefix: 128, address: '2001:db8::1' } })));
    s.write(frame(query('t.huge.test', 'TXT', { udp: 1232 })));
    const [withEcs, plain] = await replies(s, 2);
    expect(withEcs.length).to.be.at.most(65535);
    expect(decode(withEcs).questions?.[0].name).to.equal('t.huge.test');
    expect(decode(plain).answers).to.have.length(1);
    s.destroy();
  });

  it('closes an idle connection after the idle timeout', async () => {
    const s = await open(port());
    s.write(frame(query('www.example.com', 'A')));
    await replies(s, 1);
    await closed(s);
    expect(s.destroyed).to.equal(true);
  });

  it('when full, closes the oldest idle connection to answer a new one (RFC 7766 §6.2.3)', async () => {
    const before = srv.counters().tcpClosed.evicted_full;
    const accepted = srv.counters().tcpConnections;
    const held = await Promise.all([open(port()), open(port()), open(port())]);
    const oldestClosed = closed(held[0]);
    // The server has taken all three before the fourth arrives.
    for (let i = 0; i < 500 && srv.counters().tcpConnections - accepted < 3; i++) await new Promise((r) => setTimeout(r, 10));
    expect(srv.counters().tcpConnections - accepted).to.equal(3);
    const extra = await open(port());
    const got = replies(extra, 1);
    extra.write(frame(query('www.example.com', 'A', { id: 77 })));
    expect(decode((await got)[0]).id).to.equal(77);
    await oldestClosed;
    expect(srv.counters().tcpClosed.evicted_full).to.be.greaterThan(before);
    for (const h of [...held, extra]) h.destroy();
  });

  it('refuses a new connection only when every slot is in the middle of a message', async () => {
    const before = srv.counters().tcpRefused.full;
    const accepted = srv.counters().tcpConnections;
    const held = await Promise.all([open(port()), open(port()), open(port())]);
    for (let i = 0; i < 500 && srv.counters().tcpConnections - accepted < 3; i++) await new Promise((r) => setTimeout(r, 10));
    for (const h of held) h.write(Buffer.from([0, 40, 1])); // a frame's first bytes
    await new Promise((r) => setTimeout(r, 50)); // (the bytes travel; nothing to poll for on the client)
    const extra = await open(port());
    await closed(extra);
    expect(srv.counters().tcpRefused.full).to.equal(before + 1);
    for (const h of held) h.destroy();
  });

  it('closes a connection whose message does not complete within the message timeout', async () => {
    const before = srv.counters().tcpClosed.message_timeout;
    const s = await open(port());
    const f = frame(query('www.example.com', 'A'));
    s.write(f.subarray(0, 5));
    // Keep dripping (the idle timeout alone would not close it): only the message timeout can.
    const drip = setInterval(() => s.writable && s.write(Buffer.from([0])), 100);
    await closed(s);
    clearInterval(drip);
    expect(srv.counters().tcpClosed.message_timeout).to.equal(before + 1);
  });

  it('sends the idle timeout to a query asking with edns-tcp-keepalive (RFC 7828)', async () => {
    const s = await open(port());
    const q = query('www.example.com', 'A', { udp: 1232, options: [{ code: 11 }] });
    s.write(frame(q));
    const [r] = await replies(s, 1);
    const opt = decode(r).additionals?.find((a) => a.type === 'OPT') as { options?: Array<{ code: number; data: Buffer }> } | undefined;
    const ka = opt?.options?.find((o) => o.code === 11);
    expect(ka, 'keepalive option').to.not.equal(undefined);
    expect(ka!.data.readUInt16BE(0)).to.equal(3); // 300 ms in units of 100 ms
    s.destroy();
  });

  it('stops answering a client that does not read, and finishes once it reads', async () => {
    const before = srv.counters().tcp;
    const s = await open(port());
    s.pause();
    const n = 600;
    s.write(Buffer.concat(Array.from({ length: n }, (_, i) => frame(query('t.huge.test', 'TXT', { id: i })))));
    // Wait until the server stops answering (its bounded buffers are full): two equal readings.
    let answeredWhileStalled = -1;
    for (let i = 0; i < 500; i++) {
      await new Promise((r) => setTimeout(r, 30));
      const now = srv.counters().tcp - before;
      if (now > 0 && now === answeredWhileStalled) break;
      answeredWhileStalled = now;
    }
    expect(answeredWhileStalled, 'server held back (bounded buffers)').to.be.lessThan(n);
    const all = replies(s, n);
    s.resume();
    const got = await all;
    expect(got.map((r) => r.readUInt16BE(0))).to.deep.equal(Array.from({ length: n }, (_, i) => i));
    s.destroy();
  });
});

describe('dns query log', () => {
  it('writes one JSON line per query when enabled, none when not', () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
    const on = new DnsEngine(new DataSet(testZones()), { logger: pino({ level: 'info' }, sink), queryLog: true });
    on.handle(query('WWW.example.com', 'AAAA'), { tcp: false, address: '192.0.2.9', family: 4 });
    const off = new DnsEngine(new DataSet(testZones()), { logger: pino({ level: 'info' }, sink), queryLog: false });
    off.handle(query('www.example.com', 'A'), { tcp: false, address: '192.0.2.9', family: 4 });
    expect(lines).to.have.length(1);
    expect(JSON.parse(lines[0])).to.include({ msg: 'query', client: '192.0.2.9', proto: 'udp', qname: 'www.example.com', qtype: 'AAAA', rcode: 'NOERROR' });
  });
});
