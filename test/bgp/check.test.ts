import { expect } from 'chai';
import { createSocket } from 'node:dgram';
import type { Socket as UdpSocket } from 'node:dgram';
import { createServer as createTcpServer } from 'node:net';
import type { Server as TcpServer, AddressInfo } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import * as packet from 'dns-packet';
import { RiseFall, HealthMonitor } from '../../src/bgp/check/monitor';
import type { Health } from '../../src/bgp/check/monitor';
import { dnsUdp, dnsTcp, judgeDnsResponse, CheckFailure } from '../../src/bgp/check/dns';
import { httpProbe, tcpProbe, execProbe } from '../../src/util/probe';

/** A tiny DNS responder for the probe tests: SOA for example.com, REFUSED otherwise. */
function answer(q: Buffer): Buffer {
  const req = packet.decode(q);
  const question = req.questions![0]!;
  const ours = question.name.toLowerCase() === 'example.com' && question.type === 'SOA';
  return packet.encode({
    type: 'response', id: req.id, flags: ours ? packet.AUTHORITATIVE_ANSWER : 5, questions: req.questions,
    answers: ours ? [{ type: 'SOA', name: 'example.com', ttl: 60, data: { mname: 'ns.example.com', rname: 'h.example.com', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 1 } }] : [],
  });
}

describe('bgp health checks', () => {
  describe('rise/fall counting', () => {
    const table: { rise: number; fall: number; seq: string; want: string }[] = [
      { rise: 2, fall: 2, seq: '+', want: 'unknown' },
      { rise: 2, fall: 2, seq: '++', want: 'up' },
      { rise: 2, fall: 2, seq: '++-', want: 'up' },
      { rise: 2, fall: 2, seq: '++--', want: 'down' },
      { rise: 2, fall: 2, seq: '++-+-+-', want: 'up' },
      { rise: 3, fall: 1, seq: '+++-', want: 'down' },
      { rise: 3, fall: 1, seq: '+++-++', want: 'down' },
      { rise: 1, fall: 3, seq: '---', want: 'down' },
    ];
    for (const r of table) {
      it(`rise ${r.rise} fall ${r.fall}: ${r.seq} → ${r.want}`, () => {
        const c = new RiseFall(r.rise, r.fall);
        for (const ch of r.seq) c.record(ch === '+');
        expect(c.health).to.equal(r.want);
      });
    }
    it('rejects rise or fall below 1', () => {
      expect(() => new RiseFall(0, 2)).to.throw(TypeError);
      expect(() => new RiseFall(2, 1.5)).to.throw(TypeError);
    });
  });

  describe('monitor', () => {
    it('announces nothing before rise passes, then reports up and down transitions once', async () => {
      const results = [true, true, true, false, false, false, true, true];
      const changes: Health[] = [];
      let i = 0;
      await new Promise<void>((done) => {
        const m = new HealthMonitor({ target: { kind: 'exec', command: 'true' }, intervalMs: 5, timeoutMs: 5, rise: 2, fall: 2 }, (h) => changes.push(h), async () => {
          if (i >= results.length) { m.stop(); setImmediate(done); return; }
          if (!results[i++]) throw new CheckFailure('no');
        });
        m.start();
      });
      expect(changes).to.deep.equal(['up', 'down', 'up']);
    });
  });

  describe('dns probe (UDP and TCP)', () => {
    let udp: UdpSocket;
    let tcp: TcpServer;
    let port = 0;
    before(async () => {
      tcp = createTcpServer((sock) => {
        let buf = Buffer.alloc(0);
        sock.on('data', (d: Buffer) => {
          buf = Buffer.concat([buf, d]);
          if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
          const a = answer(buf.subarray(2, 2 + buf.readUInt16BE(0)));
          const len = Buffer.alloc(2);
          len.writeUInt16BE(a.length);
          sock.end(Buffer.concat([len, a]));
        });
      });
      await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
      port = (tcp.address() as AddressInfo).port;
      udp = createSocket('udp4');
      udp.on('message', (m, rinfo) => udp.send(answer(m), rinfo.port, rinfo.address));
      await new Promise<void>((r, j) => { udp.once('error', j); udp.bind(port, '127.0.0.1', () => r()); });
    });
    after(() => { udp.close(); tcp.close(); });

    it('passes on an SOA answer over UDP and over TCP', async () => {
      await dnsUdp({ address: '127.0.0.1', port, name: 'example.com', qtype: 'SOA', tcp: false }, 1000);
      await dnsTcp({ address: '127.0.0.1', port, name: 'example.com', qtype: 'SOA', tcp: true }, 1000);
    });
    it('fails on REFUSED', async () => {
      const err = await dnsUdp({ address: '127.0.0.1', port, name: 'example.org', qtype: 'SOA', tcp: false }, 1000).catch((e: Error) => e);
      expect(err).to.be.instanceOf(CheckFailure).with.property('message').that.match(/REFUSED/);
    });
    it('fails fast when nothing listens (connected UDP socket sees ICMP unreachable)', async () => {
      const free = createSocket('udp4');
      await new Promise<void>((r) => free.bind(0, '127.0.0.1', () => r()));
      const p = free.address().port;
      free.close();
      const t0 = Date.now();
      const err = await dnsUdp({ address: '127.0.0.1', port: p, name: 'example.com', qtype: 'SOA', tcp: false }, 3000).catch((e: Error) => e);
      expect(err).to.be.instanceOf(CheckFailure);
      expect((err as Error).message).to.not.match(/within/); // not the timeout path
      expect(Date.now() - t0).to.be.lessThan(3000);
    });
    it('judges responses: wrong id, NODATA and garbage fail', () => {
      const q = packet.encode({ type: 'query', id: 7, questions: [{ type: 'SOA', name: 'example.com' }] });
      const good = answer(q);
      expect(() => judgeDnsResponse(good, 7, 'example.com', 'SOA')).to.not.throw();
      expect(() => judgeDnsResponse(good, 8, 'example.com', 'SOA')).to.throw(CheckFailure, /id/);
      expect(() => judgeDnsResponse(good, 7, 'example.com', 'AAAA')).to.throw(CheckFailure, /no AAAA/);
      expect(() => judgeDnsResponse(Buffer.from('zz'), 7, 'example.com', 'SOA')).to.throw(CheckFailure, /undecodable/);
    });
  });

  describe('http, tcp and exec probes', () => {
    it('http: 2xx passes, 5xx and connection refused fail', async () => {
      const srv = createHttpServer((req, res) => { res.statusCode = req.url === '/ok' ? 204 : 503; res.end(); });
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
      const port = (srv.address() as AddressInfo).port;
      try {
        await httpProbe(`http://127.0.0.1:${port}/ok`, 1000);
        expect(await httpProbe(`http://127.0.0.1:${port}/bad`, 1000).catch((e: Error) => e.message)).to.equal('HTTP status 503');
      } finally {
        srv.close();
      }
      expect(await httpProbe(`http://127.0.0.1:${port}/ok`, 1000).catch((e: Error) => e)).to.be.instanceOf(CheckFailure);
    });
    it('tcp: accepting port passes, closed port fails', async () => {
      const srv = createTcpServer((s) => s.destroy());
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
      const port = (srv.address() as AddressInfo).port;
      await tcpProbe('127.0.0.1', port, 1000);
      await new Promise<void>((r) => srv.close(() => r()));
      expect(await tcpProbe('127.0.0.1', port, 1000).catch((e: Error) => e)).to.be.instanceOf(CheckFailure);
    });
    it('exec: exit 0 passes, exit 3 fails, a hanging command is killed at the timeout', async () => {
      await execProbe('exit 0', 1000);
      expect(await execProbe('exit 3', 1000).catch((e: Error) => e.message)).to.equal('exit status 3');
      expect(await execProbe('sleep 5', 100).catch((e: Error) => e.message)).to.match(/timed out/);
    });
  });
});
