import { expect } from 'chai';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { TestCerts } from '../support/certs';
import { requireTools } from '../support/tools';
import { Backend } from './support/backends';
import { ROOT, anypick } from './support/procs';
import { SEED_DIR } from '../support/seed';

const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const SEED = SEED_DIR;

function run(args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 15000 });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe('l7/anypick proxy command', function () {
  this.timeout(30_000);
  const dir = mkdtempSync(join(tmpdir(), 'anypick-proxy-cli-'));
  symlinkSync(join(ROOT, 'zones', 'example.com'), join(dir, 'example.com'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const usage: [string, string[], number, RegExp][] = [
    ['no tier', ['proxy', dir, '--listen', '127.0.0.1:0'], 2, /--datacenter NAME/],
    ['bad listen', ['proxy', dir, '--datacenter', 'x', '--listen', 'nope'], 2, /--listen/],
    ['report without token', ['proxy', dir, '--datacenter', 'x', '--listen', '127.0.0.1:0', '--report-to', 'http://127.0.0.1:1'], 2, /--token/],
    ['unknown option', ['proxy', dir, '--bogus'], 2, /bogus/],
    ['client RTT without --report-to', ['proxy', dir, '--datacenter', 'x', '--listen', '127.0.0.1:0', '--report-client-rtt'], 2, /--report-client-rtt sends to the DNS tier: it needs --report-to/],
    ['client RTT from a service pick', ['proxy', dir, '--datacenter', 'x', '--cluster', 'c', '--listen', '127.0.0.1:0', '--report-to', 'http://127.0.0.1:1', '--token', 't', '--report-client-rtt'], 2, /only a datacenter reports its clients' latency/],
    ['client RTT on haproxy', ['proxy', dir, '--datacenter', 'x', '--listen', '127.0.0.1:0', '--report-to', 'http://127.0.0.1:1', '--token', 't', '--engine', 'haproxy', '--report-client-rtt'], 2, /--report-client-rtt measures on the Node engine/],
    ['certificate without key', ['proxy', dir, '--service', 's', '--listen', '127.0.0.1:0', '--tls-cert', 'a.crt'], 2, /--tls-cert and --tls-key go in pairs/],
  ];
  for (const [name, args, code, re] of usage) {
    it(`${name} → exit ${code}`, () => {
      const r = run(args);
      expect(r.status, r.out).to.equal(code);
      expect(r.out).to.match(re);
    });
  }

  it('an unknown datacenter is invalid input (exit 1) naming the known ones', () => {
    const d = join(dir, 'five');
    spawnSync('mkdir', ['-p', d]);
    copyFileSync(join(SEED, '5-delivery-global.delivery'), join(d, '5-delivery-global.delivery'));
    copyFileSync(join(SEED, '4-anycast-dns.delivery'), join(d, '4-anycast-dns.delivery'));
    const r = run(['proxy', d, '--datacenter', 'datacenter-9', '--listen', '127.0.0.1:0']);
    expect(r.status, r.out).to.equal(1);
    expect(r.out).to.contain("no datacenter 'datacenter-9'").and.contain('datacenter-1');
  });

  it('a requires cycle is rejected with file:line:col (exit 1)', () => {
    const f = join(dir, 'cycle', 'c.delivery');
    spawnSync('mkdir', ['-p', join(dir, 'cycle')]);
    writeFileSync(f, 'list l:\n  a:\n    priority: 1\n    requires: b\n    members:\n      a1 127.0.0.1:1\n  b:\n    priority: 2\n    requires: a\n    members:\n      b1 127.0.0.1:2\n\nservice s:\n  next-hop: list.l\n');
    const r = run(['proxy', join(dir, 'cycle'), '--service', 's', '--listen', '127.0.0.1:0']);
    expect(r.status, r.out).to.equal(1);
    expect(r.out).to.match(/c\.delivery:2:3: requires cycle in list 'l': a → b → a/);
  });

  it('SIGHUP reloads the delivery files; a broken file or a missing tier keeps the last good route', async () => {
    const one = await new Backend('one').start();
    const two = await new Backend('two').start();
    const d = join(dir, 'reload');
    spawnSync('mkdir', ['-p', d]);
    const file = join(d, 'r.delivery');
    const delivery = (service: string, port: number) => `list l:\n  a:\n    priority: 1\n    members:\n      m1 127.0.0.1:${port}\n\nservice ${service}:\n  next-hop: list.l\n`;
    writeFileSync(file, delivery('s', one.port));
    const child = await anypick(['proxy', d, '--service', 's', '--listen', '127.0.0.1:0'], /listening on/);
    const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(child.output())![1]);
    const who = async (): Promise<string> => {
      const r = await request(`http://127.0.0.1:${port}/x`, { headers: { host: 'example.com' } });
      return ((await r.body.json()) as { name: string }).name;
    };
    const until = async (re: RegExp, from: number): Promise<void> => {
      for (let i = 0; i < 100 && !re.test(child.output().slice(from)); i++) await new Promise((r) => setTimeout(r, 50));
      expect(child.output().slice(from)).to.match(re);
    };
    try {
      expect(await who()).to.equal('one');
      writeFileSync(file, delivery('s', two.port));
      let mark = child.output().length;
      child.proc.kill('SIGHUP');
      await until(/"msg":"reloaded/, mark);
      expect(await who()).to.equal('two');
      // A bad value: logged with file:line:col, the last good route keeps serving.
      writeFileSync(file, delivery('s', two.port).replace('priority: 1', 'priority one'));
      mark = child.output().length;
      child.proc.kill('SIGHUP');
      await until(/reload failed; still serving the last good configuration/, mark);
      expect(child.output().slice(mark), child.output().slice(mark)).to.match(/reload rejected: [^"]*r\.delivery:3:14: priority must be an integer/);
      expect(await who()).to.equal('two');
      // The tier itself gone from the files: rejected as well.
      writeFileSync(file, delivery('other', one.port));
      mark = child.output().length;
      child.proc.kill('SIGHUP');
      await until(/reload failed/, mark);
      expect(child.output().slice(mark)).to.match(/reload rejected: [^"]*\bs\b/);
      expect(await who()).to.equal('two');
      expect(child.proc.exitCode).to.equal(null);
    } finally {
      await child.stop();
      await one.stop();
      await two.stop();
    }
  });

  it('seed example 1 runs as a service pick: admission, then priority-then-weight over static members', async () => {
    const gpu = await new Backend('gpu').start();
    const cpu = await new Backend('cpu').start();
    const d = join(dir, 'one');
    spawnSync('mkdir', ['-p', d]);
    symlinkSync(join(ROOT, 'zones', 'example.com'), join(d, 'example.com'));
    // Seed example 1 with static members added (addresses and ports only).
    const text = spawnSync('cat', [join(SEED, '1-service-pick.delivery')], { encoding: 'utf8' }).stdout
      .replace('    weight: 100\n', `    weight: 100\n    members:\n      gpu-1 127.0.0.1:${gpu.port}\n`)
      .replace('    weight: 250\n', `    weight: 250\n    members:\n      cpu-1 127.0.0.1:${cpu.port}\n`);
    writeFileSync(join(d, '1-service-pick.delivery'), text);
    const child = await anypick(['proxy', d, '--service', 'my-service', '--listen', '127.0.0.1:0', '--status', '127.0.0.1:0', '--log-level', 'warn'], /status on/);
    const status = async () => {
      const sp = Number(/status on 127\.0\.0\.1:(\d+)/.exec(child.output())![1]);
      const r = await request(`http://127.0.0.1:${sp}/status.json`);
      return (await r.body.json()) as { decision: { mode: string; entries: { name: string; up: boolean; reason: string }[] }; ejected: { key: string }[] };
    };
    try {
      const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(child.output())![1]);
      expect((await status()).decision.mode).to.equal('service-with-gpu');
      const ok = await request(`http://127.0.0.1:${port}/api/items/1`, { headers: { host: 'example.com', 'x-forwarded-proto': 'https' } });
      expect(ok.statusCode).to.equal(200);
      expect(((await ok.body.json()) as { name: string }).name).to.equal('gpu');
      await gpu.stop();
      const fb = await request(`http://127.0.0.1:${port}/api/items/1`, { headers: { host: 'example.com' } });
      expect(((await fb.body.json()) as { name: string }).name).to.equal('cpu');
      const st = await status();
      expect(st.decision.mode).to.equal('service-without-gpu');
      expect(st.decision.entries[0]).to.include({ name: 'service-with-gpu', up: false, reason: 'below-threshold' });
      expect(st.ejected.map((e) => e.key)).to.deep.equal(['service-with-gpu/gpu-1']);
      const no = await request(`http://127.0.0.1:${port}/api/unknown`, { headers: { host: 'example.com' } });
      expect(no.statusCode).to.equal(404);
      await no.body.dump();
    } finally {
      await child.stop();
      await gpu.stop();
      await cpu.stop();
    }
  });

  it('--tls-cert/--tls-key twice: SNI chooses the certificate, SIGHUP reloads them, a bad pair is exit 1', async function () {
    requireTools(this, 'openssl', 'curl');
    const certs = new TestCerts();
    const one = await new Backend('one').start();
    const d = join(dir, 'tls');
    spawnSync('mkdir', ['-p', d]);
    writeFileSync(join(d, 't.delivery'), `list l:\n  a:\n    priority: 1\n    members:\n      m1 127.0.0.1:${one.port}\n\nservice s:\n  next-hop: list.l\n`);
    const a = certs.make('api.example.com');
    const b = certs.make('www.example.org');
    const bad = run(['proxy', d, '--service', 's', '--listen', '127.0.0.1:0', '--tls-cert', a.cert, '--tls-key', b.key]);
    expect(bad.status, bad.out).to.equal(1);
    expect(bad.out).to.match(/--tls-cert .*api\.example\.com\.crt --tls-key .*www\.example\.org\.key: .*key values mismatch/);
    const child = await anypick(['proxy', d, '--service', 's', '--listen', '127.0.0.1:0', '--tls-cert', a.cert, '--tls-key', a.key, '--tls-cert', b.cert, '--tls-key', b.key], /listening on/);
    const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(child.output())![1]);
    // Asynchronous: the backend runs in this process.
    const get = (c: { name: string; cert: string }) =>
      new Promise<{ stdout: string; stderr: string; status: number }>((resolve) =>
        execFile('curl', ['-sS', '--max-time', '5', '--cacert', c.cert, '--resolve', `${c.name}:${port}:127.0.0.1`, `https://${c.name}:${port}/x`], (e, stdout, stderr) => resolve({ stdout, stderr, status: e ? 1 : 0 })),
      );
    try {
      for (const c of [a, b]) {
        const r = await get(c);
        expect(r.stdout, r.stderr).to.contain('"name":"one"');
      }
      expect(one.seen[0].headers['x-forwarded-proto']).to.equal('https');
      // New certificate for api.example.com in the same files: the old one no longer verifies after SIGHUP.
      const old = { ...a, cert: join(certs.dir, 'old.crt') };
      copyFileSync(a.cert, old.cert);
      certs.make('api.example.com');
      const mark = child.output().length;
      child.proc.kill('SIGHUP');
      for (let i = 0; i < 100 && !/TLS certificates reloaded/.test(child.output().slice(mark)); i++) await new Promise((r) => setTimeout(r, 50));
      expect((await get(a)).stdout).to.contain('"name":"one"');
      expect((await get(old)).status).to.not.equal(0);
    } finally {
      await child.stop();
      await one.stop();
      certs.remove();
    }
  });

  it('--engine haproxy: the service pick drives a local HAProxy; status shows its servers; SIGTERM stops both', async function () {
    requireTools(this, 'haproxy');
    const one = await new Backend('one').start();
    const d = join(dir, 'engine');
    spawnSync('mkdir', ['-p', d]);
    writeFileSync(join(d, 'e.delivery'), `list l:\n  a:\n    priority: 1\n    members:\n      m1 127.0.0.1:${one.port}\n\nservice s:\n  next-hop: list.l\n`);
    const child = await anypick(['proxy', d, '--service', 's', '--listen', '127.0.0.1:0', '--engine', 'haproxy', '--status', '127.0.0.1:0'], /status on/);
    try {
      const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(child.output())![1]);
      const r = await request(`http://127.0.0.1:${port}/x`, { headers: { host: 'example.com' } });
      expect(((await r.body.json()) as { name: string }).name).to.equal('one');
      const sp = Number(/status on 127\.0\.0\.1:(\d+)/.exec(child.output())![1]);
      const st = (await (await request(`http://127.0.0.1:${sp}/status.json`)).body.json()) as { engine: string; haproxy: { servers: { name: string; state: string; weight: number }[] } };
      expect(st.engine).to.equal('haproxy');
      expect(st.haproxy.servers).to.deep.equal([{ name: 'a.m1', key: 'a/m1', addr: '127.0.0.1', port: one.port, weight: 256, state: 'ready' }]);
    } finally {
      await child.stop();
      await one.stop();
    }
    expect(child.proc.exitCode).to.equal(0);
  });

  it('--engine haproxy is refused for an OpenAPI site schema (body validation stays on the Node engine) and for the cluster pick', function () {
    const d = join(dir, 'schema');
    spawnSync('mkdir', ['-p', d]);
    symlinkSync(join(ROOT, 'zones', 'example.com'), join(d, 'example.com'));
    writeFileSync(
      join(d, 's.delivery'),
      'control my-uri:\n  uri: "https://example.com/api/*"\n  match-site-schema:\n    "example.com/api/openapi-v3.schema.json"\n\nlist l:\n  a:\n    priority: 1\n    members:\n      m1 127.0.0.1:1\n\nservice s:\n  admit: control.my-uri\n  next-hop: list.l\n',
    );
    const r = run(['proxy', d, '--service', 's', '--listen', '127.0.0.1:0', '--engine', 'haproxy']);
    expect(r.status, r.out).to.equal(2);
    expect(r.out).to.match(/--engine haproxy: control 'my-uri' checks an OpenAPI site schema: body validation runs on the Node engine only/);
    const c = run(['proxy', d, '--datacenter', 'datacenter-1', '--listen', '127.0.0.1:0', '--engine', 'haproxy']);
    expect(c.status, c.out).to.equal(2);
    expect(c.out).to.match(/--engine haproxy runs a service pick/);
  });
});
