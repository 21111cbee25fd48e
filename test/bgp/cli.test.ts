import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = join(__dirname, '..', '..', 'src', 'cli', 'main.js');

function run(args: string[]) {
  const r = spawnSync('node', [CLI, 'bgp', ...args], { encoding: 'utf8', timeout: 15000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('anypick bgp (command line)', function () {
  this.timeout(20000);
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'anypick-bgp-cli-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--help describes the options', () => {
    const r = run(['--help']);
    expect(r.code).to.equal(0);
    expect(r.out).to.include('--status-http ADDR:PORT').and.include('--disable-file FILE');
  });
  it('a broken file: exit 1 with file:line:col', () => {
    const f = join(dir, 'bad.delivery');
    writeFileSync(f, 'process a:\n  routes neighbor 2001:db8::1\n    local-asn 99999999999;\n    peer-asn 1;\n');
    const r = run([f]);
    expect(r.code).to.equal(1);
    expect(r.err).to.include(`${f}:3:`).and.match(/local-asn|ASN|4294967295/i);
  });
  it('no process with bgp: → exit 1 with an explanation', () => {
    const f = join(dir, 'none.delivery');
    writeFileSync(f, 'process dns:\n  listen: 2001:db8::53\n');
    const r = run([f]);
    expect([r.code, r.err.trim()]).to.deep.equal([1, "anypick bgp: no process with 'bgp: PROCESS.CHECK' found"]);
  });
  it('a passive neighbor whose listener cannot bind: exit 3 at start, naming the address', async () => {
    // Hold a port (kernel-chosen) so the announcer's listener finds it taken.
    const holder = createServer();
    await new Promise<void>((r) => holder.listen({ host: '127.0.0.1', port: 0 }, () => r()));
    const port = (holder.address() as AddressInfo).port;
    try {
      const f = join(dir, 'passive.delivery');
      writeFileSync(f, `process dns:
  listen: 127.0.0.53
process announce-routes:
  dns:
    check: dns
  routes neighbor 127.0.0.1
    local-address 127.0.0.1;
    local-asn 64511;
    peer-asn 64512;
    port ${port};
    passive;
  bgp: announce-routes.dns
`);
      const child = spawn('node', [CLI, 'bgp', f], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
      const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      expect(code, err).to.equal(3);
      expect(err).to.include(`cannot listen on 127.0.0.1:${port}`).and.include('passive neighbor 127.0.0.1');
    } finally {
      holder.close();
    }
  });
  it('usage errors exit 2', () => {
    expect(run(['--log-level', 'loud']).code).to.equal(2);
    expect(run(['--status-http', 'localhost']).code).to.equal(2);
    expect(run(['--frobnicate']).code).to.equal(2);
  });
});
