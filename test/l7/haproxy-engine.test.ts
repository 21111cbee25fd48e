import { expect } from 'chai';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { WebSocket, WebSocketServer } from 'ws';
import { loadAdmission } from '../../src/l7/admission/admission';
import { parseUriPattern } from '../../src/l7/admission/uri-pattern';
import { problemFiles, renderHaproxyConfig } from '../../src/l7/haproxy/config';
import { HaproxyEngine, diffServers, planServers } from '../../src/l7/haproxy/engine';
import type { ServerPlan } from '../../src/l7/haproxy/engine';
import { DEFAULT_PROXY_OPTIONS } from '../../src/l7/proxy/options';
import { ServicePickRoute } from '../../src/l7/service-pick/route';
import type { ListedMember } from '../../src/l7/service-pick/members';
import type { MemberLiveState } from '../../src/pick/types';
import { TlsCertificates } from '../../src/util/tls';
import { TestCerts } from '../support/certs';
import { requireTools } from '../support/tools';
import { Backend, raw, statusOf } from './support/backends';

const ROOT = join(__dirname, '..', '..', '..');
const pos = { file: join(ROOT, 'zones', 'example.delivery'), line: 1, col: 1 };

/** Live member state the test changes (the signals registry's interface). */
class States {
  version = 1;
  readonly live = new Map<string, MemberLiveState>();
  readonly dynamic: ListedMember[] = [];
  get(tier: string, service: string, member: string): MemberLiveState | undefined {
    return this.live.get(`${tier}/${service}/${member}`);
  }
  members(): ListedMember[] {
    return this.dynamic;
  }
  set(key: string, s: MemberLiveState): void {
    this.live.set(key, s);
    this.version++;
  }
}

describe('l7/--engine haproxy', function () {
  this.timeout(30000);

  describe('plan and diff (pure)', () => {
    it('weights follow the shares (largest = 256); ready members outside the mode drain; not-ready ones go to maintenance', () => {
      const plan = planServers([
        { key: 'gpu/g1', host: '10.0.0.1', port: 80, share: 0.75, ready: true },
        { key: 'gpu/g2', host: '10.0.0.2', port: 80, share: 0.25, ready: true },
        { key: 'cpu/c1', host: '10.0.0.3', port: 80, share: 0, ready: true },
        { key: 'cpu/c2', host: '10.0.0.4', port: 80, share: 0, ready: false },
      ]);
      expect(plan.map((p) => [p.name, p.weight, p.state])).to.deep.equal([
        ['gpu.g1', 256, 'ready'],
        ['gpu.g2', 85, 'ready'],
        ['cpu.c1', 0, 'drain'],
        ['cpu.c2', 0, 'maint'],
      ]);
    });
    it('diff: add new servers, change weights/state/address, delete the gone ones', () => {
      const p = (name: string, weight: number, state: ServerPlan['state'], addr = '10.0.0.1'): ServerPlan => ({ name, key: name, addr, port: 80, weight, state });
      const applied = new Map([['a', p('a', 256, 'ready')], ['b', p('b', 100, 'ready')], ['gone', p('gone', 1, 'ready')]]);
      const { commands, removed } = diffServers(applied, [p('a', 256, 'ready', '10.0.0.9'), p('b', 0, 'drain'), p('new', 10, 'ready')]);
      expect(commands).to.deep.equal([
        'set server members/a addr 10.0.0.9 port 80',
        'set server members/b state drain',
        'add server members/new 10.0.0.1:80 weight 10',
        'set server members/new state ready',
        'set server members/gone state maint',
        'shutdown sessions server members/gone',
        'del server members/gone',
      ]);
      expect(removed).to.deep.equal(['gone']);
    });
    it('the rendered configuration is valid for haproxy -c (with admission ACLs and TLS)', function () {
      requireTools(this, 'haproxy', 'openssl');
      const certs = new TestCerts();
      const dir = mkdtempSync(join(tmpdir(), 'anypick-hacfg-'));
      try {
        const c = certs.make('api.example.com');
        const pem = join(dir, 'a.pem');
        execFileSync('sh', ['-c', `cat "${c.cert}" "${c.key}" > "${pem}"`]);
        writeFileSync(join(dir, 'list'), pem + '\n');
        const texts = problemFiles('my-uri', 'https://example.com/api/*');
        writeFileSync(join(dir, '404.json'), texts.notFound);
        writeFileSync(join(dir, '400.json'), texts.badPath);
        for (const s of [502, 503, 504] as const) writeFileSync(join(dir, `${s}.http`), texts.errors[s]);
        const t = { connectMs: 2000, headMs: 10000, keepAliveMs: 5000, serverMs: 15000, tunnelMs: 300000, clientMs: 60000 };
        for (const crtList of [undefined, join(dir, 'list')]) {
          const cfg = renderHaproxyConfig({
            listen: { host: '127.0.0.1', port: 1 },
            socket: join(dir, 's.sock'),
            crtList,
            admission: { name: 'my-uri', pattern: parseUriPattern('https://*.example.com:8443/api/*') },
            scheme: 'https',
            files: { notFound: join(dir, '404.json'), badPath: join(dir, '400.json'), errors: { 502: join(dir, '502.http'), 503: join(dir, '503.http'), 504: join(dir, '504.http') } },
            threads: 1,
            timeouts: t,
            retries: 2,
            trustedProxies: ['127.0.0.0/8'],
          });
          writeFileSync(join(dir, 'h.cfg'), cfg);
          const out = execFileSync('haproxy', ['-c', '-f', join(dir, 'h.cfg')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
          expect(out).to.match(/Configuration file is valid/);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
        certs.remove();
      }
    });
  });

  describe('a running HAProxy driven by the service pick', () => {
    const gpu = [new Backend('gpu-1'), new Backend('gpu-2')];
    const cpu = new Backend('cpu-1');
    const dyn = new Backend('dyn-1');
    const states = new States();
    let engine: HaproxyEngine;
    let port: number;
    before(async function () {
      requireTools(this, 'haproxy');
      for (const b of [...gpu, cpu, dyn]) await b.start();
      const admission = loadAdmission({ kind: 'control', name: 'my-uri', pos, uri: { text: 'http://example.com/api/*', scheme: 'http', host: 'example.com', path: '/api/*', pos } });
      const route = new ServicePickRoute({
        service: 'my-service',
        admission,
        source: states,
        entries: [
          { name: 'gpu', priority: 10, weight: 100, dynamicWeight: false, requires: [], members: { kind: 'static', endpoints: gpu.map((b) => ({ name: b.name, host: '127.0.0.1', port: b.port, weight: 10 })) } },
          { name: 'cpu', priority: 25, weight: 100, dynamicWeight: false, requires: [], members: { kind: 'static', endpoints: [{ name: 'cpu-1', host: '127.0.0.1', port: cpu.port, weight: 10 }] } },
          { name: 'dyn', priority: 30, weight: 100, dynamicWeight: false, requires: [], members: { kind: 'dynamic', service: 'dyn' } },
        ],
      });
      engine = new HaproxyEngine({ route, admission, scheme: 'http', proxy: DEFAULT_PROXY_OPTIONS, syncMs: 50 });
      port = await engine.listen(0, '127.0.0.1');
    });
    after(async () => {
      await engine?.close();
      for (const b of [...gpu, cpu, dyn]) await b.stop();
    });

    const who = async (path = '/api/x'): Promise<{ status: number; name?: string; body: string }> => {
      const r = await request(`http://127.0.0.1:${port}${path}`, { headers: { host: 'example.com' } });
      const body = await r.body.text();
      return { status: r.statusCode, name: r.statusCode === 200 ? (JSON.parse(body) as { name: string }).name : undefined, body };
    };
    const until = async (cond: () => boolean | Promise<boolean>): Promise<void> => {
      for (let i = 0; i < 100 && !(await cond()); i++) await new Promise((r) => setTimeout(r, 50));
    };

    it('serves the preferred priority only, on both of its members, with X-Forwarded-*', async () => {
      const names = new Set<string>();
      for (let i = 0; i < 30; i++) names.add((await who()).name!);
      expect([...names].sort()).to.deep.equal(['gpu-1', 'gpu-2']);
      const h = gpu.flatMap((b) => b.seen)[0].headers;
      expect(h['x-forwarded-for']).to.equal('127.0.0.1');
      expect(h['x-forwarded-proto']).to.equal('http');
      expect(engine.servers().map((s) => [s.name, s.state])).to.deep.include.members([['gpu.gpu-1', 'ready'], ['cpu.cpu-1', 'drain']]);
    });

    it('URI admission runs as ACLs: outside the control is a 404 problem that never reaches a member', async () => {
      const seen = gpu.reduce((n, b) => n + b.seen.length, 0);
      const r = await who('/other');
      expect(r.status).to.equal(404);
      expect(JSON.parse(r.body)).to.include({ status: 404, type: 'tag:anypick,2026:E_NO_URI_MATCH' });
      // Dot segments cannot slip past the ACL: refused.
      expect(statusOf(await raw(port, 'GET /api/../other HTTP/1.1\r\nhost: example.com\r\n\r\n', 1000))).to.equal(400);
      expect(statusOf(await raw(port, 'GET /api/%2E%2e/other HTTP/1.1\r\nhost: example.com\r\n\r\n', 1000))).to.equal(400);
      expect(gpu.reduce((n, b) => n + b.seen.length, 0)).to.equal(seen);
    });

    it('readiness from signals: GPU members not ready → maintenance, the next priority serves', async () => {
      for (const b of gpu) states.set(`service/gpu/${b.name}`, { present: true, ready: false, factor: 0 });
      await until(() => engine.servers().find((s) => s.name === 'gpu.gpu-1')?.state === 'maint');
      expect((await who()).name).to.equal('cpu-1');
    });

    it('dynamic membership: a member that appears is added, one that leaves is deleted', async () => {
      states.set('service/cpu/cpu-1', { present: true, ready: false, factor: 0 });
      states.dynamic.push({ member: 'dyn-1', present: true, ready: true, factor: 1, address: '127.0.0.1', port: dyn.port });
      states.version++;
      await until(async () => (await who()).name === 'dyn-1');
      expect((await who()).name).to.equal('dyn-1');
      states.dynamic.length = 0;
      states.version++;
      await until(() => !engine.servers().some((s) => s.name === 'dyn.dyn-1'));
      expect(engine.servers().map((s) => s.name)).to.not.include('dyn.dyn-1');
      const r = await who();
      expect(r.status).to.equal(503);
      expect(JSON.parse(r.body)).to.include({ status: 503 });
      expect(engine.stats.commandErrors).to.equal(0);
    });

    it('passes WebSocket upgrades (HAProxy tunnels them)', async () => {
      for (const b of gpu) states.set(`service/gpu/${b.name}`, { present: true, ready: true, factor: 1 });
      await until(() => engine.servers().find((s) => s.name === 'gpu.gpu-1')?.state === 'ready');
      // A WebSocket echo member replaces gpu-1's address for this test.
      const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
      await new Promise((r) => wss.once('listening', r));
      wss.on('connection', (ws) => ws.on('message', (m) => ws.send(`echo ${m.toString()}`)));
      const wsPort = (wss.address() as { port: number }).port;
      for (const b of gpu) await b.stop();
      gpu[0].port = wsPort;
      const route = new ServicePickRoute({
        service: 'my-service',
        entries: [{ name: 'gpu', priority: 10, weight: 100, dynamicWeight: false, requires: [], members: { kind: 'static', endpoints: [{ name: 'gpu-1', host: '127.0.0.1', port: wsPort, weight: 10 }] } }],
      });
      engine.setRoute(route);
      await until(() => engine.servers().length === 1);
      try {
        const got = await new Promise<string>((resolve, reject) => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}/api/ws`, { headers: { host: 'example.com' } });
          ws.on('open', () => ws.send('hi'));
          ws.on('message', (m) => {
            ws.close();
            resolve(m.toString());
          });
          ws.on('error', reject);
        });
        expect(got).to.equal('echo hi');
      } finally {
        wss.close();
      }
    });
  });

  describe('TLS with SNI on the HAProxy engine', () => {
    it('serves each name its certificate and sets X-Forwarded-Proto https', async function () {
      requireTools(this, 'haproxy', 'openssl', 'curl');
      const certs = new TestCerts();
      const b = await new Backend('b').start();
      const a1 = certs.make('api.example.com');
      const a2 = certs.make('www.example.org');
      const route = new ServicePickRoute({ service: 's', entries: [{ name: 'e', priority: 1, weight: 1, dynamicWeight: false, requires: [], members: { kind: 'static', endpoints: [{ name: 'b', host: '127.0.0.1', port: b.port, weight: 1 }] } }] });
      const engine = new HaproxyEngine({ route, scheme: 'http', tls: TlsCertificates.load([a1, a2]), proxy: DEFAULT_PROXY_OPTIONS });
      const port = await engine.listen(0, '127.0.0.1');
      const curl = (c: { name: string; cert: string }, extra: string[] = []) =>
        new Promise<string>((resolve) =>
          execFile('curl', ['-sS', '--max-time', '5', ...extra, '-w', '\n%{http_version}', '--cacert', c.cert, '--resolve', `${c.name}:${port}:127.0.0.1`, `https://${c.name}:${port}/x`], (e, out, err) => resolve(e ? `error ${err}` : out)),
        );
      try {
        for (const c of [a1, a2]) expect(await curl(c)).to.contain('"name":"b"');
        expect((await curl(a2, ['--http2'])).trim().split('\n').pop()).to.equal('2');
        expect(b.seen[0].headers['x-forwarded-proto']).to.equal('https');
        // SIGHUP path: a new certificate in the same files is pushed through the Runtime API.
        const before = await curl(a1);
        expect(before).to.contain('"name":"b"');
        const old = { ...a1, cert: join(certs.dir, 'old.crt') };
        execFileSync('cp', [a1.cert, old.cert]);
        certs.make('api.example.com');
        engine['o'].tls!.reload();
        await engine.reloadCertificates();
        expect(await curl(a1)).to.contain('"name":"b"');
        expect(await curl(old)).to.match(/^error/);
      } finally {
        await engine.close();
        await b.stop();
        certs.remove();
      }
    });
  });
});
