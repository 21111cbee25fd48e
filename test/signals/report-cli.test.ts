import { expect } from 'chai';
import { spawn, execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_WEIGHT_PARAMS } from '../../src/signals/weight';
import { startTestReceiver, TOKEN_DC1 } from './helpers';

const MAIN = join(__dirname, '..', '..', 'src', 'cli', 'main.js');
const ID = ['--tier', 'datacenter', '--service', 'my-service', '--member', 'datacenter-1'];

function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, 'report', ...args], { env: { ...process.env, ...env }, timeout: 15_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('anypick report (process)', function () {
  let t: Awaited<ReturnType<typeof startTestReceiver>>;
  const children: ChildProcess[] = [];
  const dc1 = () => t.registry.get('datacenter', 'my-service', 'datacenter-1')!;
  beforeEach(async () => { t = await startTestReceiver({ weight: { ...DEFAULT_WEIGHT_PARAMS, slowStartWindowMs: 0 } }); });
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
    await t.close();
  });

  const usage: Array<[string, string[], RegExp]> = [
    ['no tier', ['--service', 's', '--member', 'm', '--endpoint', 'http://127.0.0.1:1', '--token', TOKEN_DC1], /--tier/],
    ['no endpoint', [...ID, '--token', TOKEN_DC1], /--endpoint/],
    ['no token', [...ID, '--endpoint', 'http://127.0.0.1:1'], /ANYPICK_TOKEN/],
    ['readiness above 1', [...ID, '--endpoint', 'http://127.0.0.1:1', '--token', TOKEN_DC1, '--ready', '2'], /--ready 2/],
    ['a bad check', [...ID, '--endpoint', 'http://127.0.0.1:1', '--token', TOKEN_DC1, '--check', 'ping:x'], /--check ping:x/],
    ['a bad interval', [...ID, '--endpoint', 'http://127.0.0.1:1', '--token', TOKEN_DC1, '--interval', 'soon'], /--interval/],
    ['a bad address', [...ID, '--endpoint', 'http://127.0.0.1:1', '--token', TOKEN_DC1, '--address', 'nowhere'], /--address/],
    ['a bad port', [...ID, '--endpoint', 'http://127.0.0.1:1', '--token', TOKEN_DC1, '--address', '2001:db8:ae21:7700::7', '--port', '0'], /--port 0: want 1\.\.65535/],
    ['a port without an address', [...ID, '--endpoint', 'http://127.0.0.1:1', '--token', TOKEN_DC1, '--port', '8443'], /--port goes with --address/],
  ];
  for (const [name, args, re] of usage) {
    it(`exits 2 with ${name}`, async () => {
      const r = await runCli(args, { ANYPICK_TOKEN: '' });
      expect(r.code).to.equal(2);
      expect(r.stderr).to.match(re);
    });
  }

  it('--once sends presence, readiness and utilization (token from ANYPICK_TOKEN)', async () => {
    const r = await runCli([...ID, '--endpoint', t.url, '--address', '2001:db8:ae21:7700::7', '--ready', '0.5', '--utilization', '0.5', '--once'], { ANYPICK_TOKEN: TOKEN_DC1 });
    expect(r.code, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout)).to.deep.equal({ ready: 0.5, utilization: 0.5 });
    expect(dc1()).to.deep.equal({ present: true, ready: true, factor: 0.25, address: '2001:db8:ae21:7700::7' });
  });

  it('--port goes with the address (anypick.port through the OpenTelemetry SDK)', async () => {
    const r = await runCli([...ID, '--endpoint', t.url, '--address', '2001:db8:ae21:7700::7', '--port', '8443', '--ready', '1', '--once'], { ANYPICK_TOKEN: TOKEN_DC1 });
    expect(r.code, r.stderr).to.equal(0);
    expect(dc1()).to.include({ present: true, address: '2001:db8:ae21:7700::7', port: 8443 });
  });

  it('--errors-cmd reports errors that lower the factor', async () => {
    const r = await runCli([...ID, '--endpoint', t.url, '--token', TOKEN_DC1, '--errors-cmd', 'echo 1 4', '--once']);
    expect(r.code, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout).errors).to.deep.equal({ count: 1, total: 4 });
    expect(dc1().factor).to.equal(0.75);
  });

  it('--once exits 3 when an endpoint refuses the report (forged token)', async () => {
    const r = await runCli([...ID, '--endpoint', t.url, '--token', 'forged-token-0000000000', '--once']);
    expect(r.code).to.equal(3);
    expect(JSON.parse(r.stdout).failed[0]).to.match(/\/v1\/logs: Unauthorized/);
    expect(dc1().present).to.equal(false);
  });

  it('follows a tcp check and leaves on SIGTERM', async () => {
    const server: Server = createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const child = spawn(process.execPath, [MAIN, 'report', ...ID, '--endpoint', t.url, '--token', TOKEN_DC1, '--interval', '200ms', '--check', `tcp:127.0.0.1:${port}`], { stdio: 'ignore' });
    children.push(child);
    await waitFor(() => dc1().ready, 5000);
    await new Promise<void>((r) => server.close(() => r()));
    await waitFor(() => dc1().present && !dc1().ready, 5000);
    expect(dc1().factor).to.equal(0);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).to.equal(0);
    // The leaving report arrived before exit: absent at once, long before the 3 s lease.
    expect(dc1().present).to.equal(false);
    expect(t.registry.expiries).to.equal(0);
  });

  it('--delivery takes the endpoints and interval from the channel bindings', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'anypick-report-'));
    try {
      const file = join(dir, 'g.delivery');
      writeFileSync(file, `delivery global
  publish:
    presence @availability as otel.event
    readiness @availability as otel.event
  subscribe:
    presence @availability to membership
  channel @availability: endpoint "${t.url}"
  lease: 2s
  report-interval: 500ms
  datacenter-pick-service my-service:
    listen: "https://example.com"
    next-hop-strategy:
      dynamic: internet-location-then-dynamic-weight
    next-hop-members:
      dynamic: membership.my-service.datacenter
    datacenter-1
      location: 37.4,-122.1
      block: 2001:db8:ae21:7700::/56
`);
      const r = await runCli([...ID, '--delivery', file, '--token', TOKEN_DC1, '--once']);
      expect(r.code, r.stderr).to.equal(0);
      expect(dc1().present).to.equal(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
