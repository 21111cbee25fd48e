import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { connect as h2connect, createServer as createH2Server } from 'node:http2';
import type { Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import { loadAdmission } from '../../src/l7/admission/admission';
import { ClusterPickRoute } from '../../src/l7/cluster/route';
import { L7Proxy } from '../../src/l7/proxy/server';
import { ServicePickRoute } from '../../src/l7/service-pick/route';
import { TlsCertificates } from '../../src/util/tls';
import { TestCerts } from '../support/certs';
import { requireTools } from '../support/tools';
import { Backend } from './support/backends';

const ROOT = join(__dirname, '..', '..', '..');
const pos = { file: join(ROOT, 'zones', 'example.delivery'), line: 1, col: 1 };

function curl(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile('curl', ['-sS', '--max-time', '5', ...args], (e, out, err) => resolve({ code: e ? Number((e as { code?: number }).code ?? 1) : 0, out, err }));
  });
}

/** A WebSocket echo member (the `ws` library on a node:http server). */
async function echoMember(): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const server = createServer((_req, res) => res.writeHead(200).end('plain'));
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws, req) => {
    ws.send(`hello ${req.headers['x-forwarded-proto']} ${req.headers.host}`);
    ws.on('message', (m, binary) => ws.send(m, { binary }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await new Promise((r) => server.close(r));
    },
  };
}

/** Opens a WebSocket, sends `messages`, resolves with what came back (the greeting first). */
function echo(url: string, messages: (string | Buffer)[], headers: Record<string, string> = {}): Promise<(string | Buffer)[]> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const got: (string | Buffer)[] = [];
    ws.on('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.on('error', reject);
    ws.on('message', (m: Buffer, binary) => {
      got.push(binary ? m : m.toString());
      if (got.length === 1) for (const x of messages) ws.send(x);
      if (got.length === messages.length + 1) {
        ws.close();
        resolve(got);
      }
    });
  });
}

function servicePick(port: number, admission?: ReturnType<typeof loadAdmission>): ServicePickRoute {
  return new ServicePickRoute({
    service: 'my-service',
    admission,
    entries: [{ name: 'ws', priority: 10, weight: 100, dynamicWeight: false, requires: [], members: { kind: 'static', endpoints: [{ name: 'm1', host: '127.0.0.1', port, weight: 1 }] } }],
  });
}

describe('l7/protocols: WebSocket, TLS with SNI, HTTP/2, gRPC', function () {
  this.timeout(20000);
  const admission = loadAdmission({ kind: 'control', name: 'my-uri', pos, uri: { text: 'http://example.com/api/*', scheme: 'http', host: 'example.com', path: '/api/*', pos } });

  describe('WebSocket (Upgrade) pass-through', () => {
    let member: Awaited<ReturnType<typeof echoMember>>;
    let sp: L7Proxy;
    let cp: L7Proxy;
    let spPort: number;
    let cpPort: number;
    before(async () => {
      member = await echoMember();
      sp = new L7Proxy(servicePick(member.port, admission), { tunnelIdleTimeoutMs: 400 });
      spPort = await sp.listen(0, '127.0.0.1');
      const clusters = new ClusterPickRoute({ service: 'my-service', upstreamPort: 1, clusters: [{ name: 'cluster-1', weight: 10, dynamic: false, address: '127.0.0.1', port: spPort }] });
      cp = new L7Proxy(clusters, {});
      cpPort = await cp.listen(0, '127.0.0.1');
    });
    after(async () => {
      await cp.close();
      await sp.close();
      await member.close();
    });

    it('echoes text and binary frames through the service pick (101, then bytes both ways)', async () => {
      const before = { ...sp.stats };
      const got = await echo(`ws://127.0.0.1:${spPort}/api/chat`, ['one', Buffer.from([0, 1, 2, 255])], { host: 'example.com' });
      expect(got[0]).to.equal('hello http example.com');
      expect(got[1]).to.equal('one');
      expect(got[2]).to.deep.equal(Buffer.from([0, 1, 2, 255]));
      expect(sp.stats.upgrades - before.upgrades).to.equal(1);
      expect(sp.stats.tunnels - before.tunnels).to.equal(1);
    });

    it('echoes through the cluster pick and the service pick behind it', async () => {
      const before = { sp: sp.stats.tunnels, cp: cp.stats.tunnels };
      const got = await echo(`ws://127.0.0.1:${cpPort}/api/chat`, ['through two tiers'], { host: 'example.com' });
      expect(got).to.deep.equal(['hello http example.com', 'through two tiers']);
      expect(cp.stats.tunnels - before.cp).to.equal(1);
      expect(sp.stats.tunnels - before.sp).to.equal(1);
    });

    it('admits the upgrade request: a URI outside the control is a 404', async () => {
      const err = await echo(`ws://127.0.0.1:${spPort}/other`, [], { host: 'example.com' }).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message).to.equal('HTTP 404');
    });

    it('closes a tunnel idle longer than the idle timeout, and counts it', async () => {
      const before = sp.stats.tunnelIdleClosed;
      const ws = new WebSocket(`ws://127.0.0.1:${spPort}/api/idle`, { headers: { host: 'example.com' } });
      const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
      await new Promise((r) => ws.once('message', r));
      expect(sp.stats.tunnelsOpen).to.be.greaterThan(0);
      // abnormal closure (1006): the proxy dropped the idle connection, no close frame.
      expect(await closed).to.equal(1006);
      expect(sp.stats.tunnelIdleClosed - before).to.equal(1);
      expect(sp.stats.tunnelsOpen).to.equal(0);
    });

    it('a member that refuses the upgrade answers the client as it is (no tunnel counted)', async () => {
      const plain = new Backend('plain');
      await plain.start();
      const p = new L7Proxy(servicePick(plain.port), {});
      const port = await p.listen(0, '127.0.0.1');
      try {
        const err = await echo(`ws://127.0.0.1:${port}/x`, [], { host: 'example.com' }).then(
          () => undefined,
          (e: Error) => e,
        );
        // node:http without an upgrade listener answers an upgrade as a plain request.
        expect(err?.message).to.equal('HTTP 200');
        expect(p.stats.tunnels).to.equal(0);
      } finally {
        await p.close();
        await plain.stop();
      }
    });
  });

  describe('TLS termination with SNI, ALPN h2 and h2c', () => {
    const certs = new TestCerts();
    let a: ReturnType<TestCerts['make']>;
    let b: ReturnType<TestCerts['make']>;
    const backend = new Backend('b1');
    let tls: TlsCertificates;
    let proxy: L7Proxy;
    let clear: L7Proxy;
    let port: number;
    let clearPort: number;
    before(async function () {
      requireTools(this, 'openssl', 'curl');
      a = certs.make('api.example.com');
      b = certs.make('www.example.org');
      await backend.start();
      tls = TlsCertificates.load([a, b]);
      const route = new ServicePickRoute({ service: 's', entries: [{ name: 'e', priority: 10, weight: 100, dynamicWeight: false, requires: [], members: { kind: 'static', endpoints: [{ name: 'b1', host: '127.0.0.1', port: backend.port, weight: 1 }] } }] });
      proxy = new L7Proxy(route, { tls });
      port = await proxy.listen(0, '127.0.0.1');
      clear = new L7Proxy(route, {});
      clearPort = await clear.listen(0, '127.0.0.1');
    });
    after(async () => {
      await proxy?.close();
      await clear?.close();
      await backend.stop();
      certs.remove();
    });
    beforeEach(() => void (backend.seen = []));

    const at = (name: string) => [`--resolve`, `${name}:${port}:127.0.0.1`, `https://${name}:${port}/api/items/1`];

    it('chooses the certificate by SNI: curl verifies each name against its own certificate', async () => {
      for (const c of [a, b]) {
        const r = await curl(['--cacert', c.cert, '-w', '\n%{http_code} %{http_version}', ...at(c.name)]);
        expect(r.err).to.equal('');
        expect(r.out.trim().split('\n').pop()).to.match(/^200 /);
      }
      // The other name's certificate does not verify: the wrong one was not served.
      const wrong = await curl(['--cacert', a.cert, ...at(b.name)]);
      expect(wrong.code).to.not.equal(0);
    });

    it('sets X-Forwarded-Proto https and Forwarded proto=https for the member', async () => {
      // A forged X-Forwarded-Proto from a (trusted, loopback) client does not override TLS here.
      await curl(['--cacert', a.cert, '-H', 'x-forwarded-proto: http', ...at(a.name)]);
      expect(backend.seen[0].headers['x-forwarded-proto']).to.equal('https');
      expect(backend.seen[0].headers.forwarded).to.match(/proto=https/);
      expect(backend.seen[0].headers.host).to.equal(`${a.name}:${port}`);
    });

    it('curl --http2 negotiates h2 by ALPN on TLS and reaches the member', async () => {
      const before = proxy.stats.http2;
      const r = await curl(['--http2', '--cacert', b.cert, '-w', '\n%{http_version}', ...at(b.name)]);
      const lines = r.out.trim().split('\n');
      expect(lines.pop()).to.equal('2');
      expect(JSON.parse(lines.join('\n'))).to.include({ name: 'b1' });
      expect(proxy.stats.http2 - before).to.equal(1);
      expect(backend.seen).to.have.length(1);
    });

    it('curl --http2-prior-knowledge speaks h2c on the clear port; curl --http2 (Upgrade: h2c) gets HTTP/1.1', async () => {
      const h2c = await curl(['--http2-prior-knowledge', '-w', '\n%{http_version}', '-H', 'host: example.com', `http://127.0.0.1:${clearPort}/api/items/2`]);
      expect(h2c.out.trim().split('\n').pop()).to.equal('2');
      const up = await curl(['--http2', '-w', '\n%{http_version} %{http_code}', '-H', 'host: example.com', `http://127.0.0.1:${clearPort}/api/items/3`]);
      expect(up.out.trim().split('\n').pop()).to.equal('1.1 200');
      expect(backend.seen.map((s) => s.url)).to.deep.equal(['/api/items/2', '/api/items/3']);
      expect(backend.seen[0].headers.host).to.equal('example.com');
    });

    it('reload keeps the last good certificates when a file is bad, and serves new ones after a good reload', async () => {
      const peerCn = (name: string) =>
        new Promise<string>((resolve, reject) => {
          const s = tlsConnect({ port, host: '127.0.0.1', servername: name, rejectUnauthorized: false }, () => {
            const c = s.getPeerCertificate();
            s.end();
            resolve(`${c.subject.CN} ${c.serialNumber}`);
          });
          s.on('error', reject);
        });
      const was = await peerCn(a.name);
      certs.make(a.name, 'api.example.com'); // new certificate, same files
      const { writeFileSync } = await import('node:fs');
      writeFileSync(b.key, 'not a key');
      expect(() => tls.reload()).to.throw(/--tls-key .*www\.example\.org\.key/);
      expect(await peerCn(a.name)).to.equal(was);
      certs.make(b.name, 'www.example.org');
      tls.reload();
      const now = await peerCn(a.name);
      expect(now.split(' ')[0]).to.equal('api.example.com');
      expect(now).to.not.equal(was);
    });
  });

  describe('gRPC-style requests (HTTP/2 with trailers)', () => {
    let member: Http2Server;
    let memberPort: number;
    let proxy: L7Proxy;
    let port: number;
    const seen: Record<string, unknown>[] = [];
    before(async () => {
      member = createH2Server();
      member.on('stream', (stream, headers) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          seen.push({ ...headers, body: Buffer.concat(chunks).toString('hex') });
          stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
          stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'ok from member' }));
          stream.end(Buffer.concat([Buffer.from([0, 0, 0, 0, 2]), Buffer.from('hi')]));
        });
      });
      await new Promise<void>((r) => member.listen(0, '127.0.0.1', () => r()));
      memberPort = (member.address() as AddressInfo).port;
      proxy = new L7Proxy(servicePick(memberPort, admission), {});
      port = await proxy.listen(0, '127.0.0.1');
    });
    after(async () => {
      await proxy.close();
      await new Promise((r) => member.close(r));
    });

    it('passes the request to an HTTP/2 member and its trailers back to the client', async () => {
      const client = h2connect(`http://127.0.0.1:${port}`);
      try {
        const message = Buffer.concat([Buffer.from([0, 0, 0, 0, 5]), Buffer.from('hello')]);
        const req = client.request({ ':method': 'POST', ':path': '/api/echo.Echo/Say', ':authority': 'example.com', 'content-type': 'application/grpc', te: 'trailers' });
        req.end(message);
        const result = await new Promise<{ status: number; trailers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
          let status = 0;
          let trailers: Record<string, unknown> = {};
          const chunks: Buffer[] = [];
          req.on('response', (h) => (status = Number(h[':status'])));
          req.on('trailers', (t) => (trailers = t));
          req.on('data', (c: Buffer) => chunks.push(c));
          req.on('end', () => resolve({ status, trailers, body: Buffer.concat(chunks) }));
          req.on('error', reject);
        });
        expect(result.status).to.equal(200);
        expect(result.trailers).to.include({ 'grpc-status': '0', 'grpc-message': 'ok from member' });
        expect(result.body.subarray(5).toString()).to.equal('hi');
        expect(seen).to.have.length(1);
        expect(seen[0]).to.include({ ':path': '/api/echo.Echo/Say', ':authority': 'example.com', te: 'trailers', body: message.toString('hex') });
        expect(proxy.stats.grpc).to.equal(1);
      } finally {
        client.close();
      }
    });

    it('admission applies to gRPC too: a path outside the control is a 404', async () => {
      const client = h2connect(`http://127.0.0.1:${port}`);
      try {
        const req = client.request({ ':method': 'POST', ':path': '/other.Svc/Call', ':authority': 'example.com', 'content-type': 'application/grpc', te: 'trailers' });
        req.end(Buffer.from([0, 0, 0, 0, 0]));
        const status = await new Promise<number>((resolve, reject) => {
          req.on('response', (h) => resolve(Number(h[':status'])));
          req.on('error', reject);
        });
        req.resume();
        expect(status).to.equal(404);
      } finally {
        client.close();
      }
    });
  });
});
