/** `anypick explain --live`: the decision of a running serve, by its live member state. */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTools } from '../support/tools';
import { MAIN, serveWithPorts } from '../support/anypick';
import type { AnypickProcess } from '../support/anypick';
import { SAMPLE_DB } from '../geo/support';
import { dig, run } from './support';

const ZONE = '$ORIGIN example.com.\n$TTL 300\n@ SOA ns1 hostmaster ( 1 2h 30m 2w 5m )\n  NS ns1\nns1 A 127.0.0.1\n';
const DELIVERY = `delivery global
  publish:
    presence @availability as otel.event
    readiness @availability as otel.event
  subscribe:
    presence @availability to membership
    readiness @availability to dynamic-weight
  lease: 2s
  report-interval: 250ms

service my-service:
  listen "https://example.com"
  next-hop-strategy:
    dynamic: internet-location-then-dynamic-weight
  next-hop-members:
    datacenter-1 10 dyn "example.com AAAA IN 90 2001:db8:ae21:7700::/56" location 37.4,-122.1
    datacenter-2 10 dyn "example.com AAAA IN 90 2001:db8:478:2800::/56" location 50.1,8.7
`;
const TOKEN1 = 'live-token-datacenter-1-0123456789';
const TOKEN2 = 'live-token-datacenter-2-0123456789';
const REPORTED = '2001:db8:ae21:7700::99';

function report(signals: number, member: string, token: string, extra: string[]): ChildProcess {
  return spawn(process.execPath, [MAIN, 'report', '--tier', 'datacenter', '--service', 'my-service', '--member', member, '--endpoint', `http://127.0.0.1:${signals}`, '--token', token, '--interval', '250ms', ...extra], { stdio: 'ignore' });
}

describe('gslb: anypick explain --live (serve + report)', function () {
  this.timeout(60_000);
  let dir = '';
  let proc: AnypickProcess | undefined;
  const reporters: ChildProcess[] = [];
  before(function () {
    requireTools(this, 'dig');
    dir = mkdtempSync(join(tmpdir(), 'anypick-explain-live-'));
    writeFileSync(join(dir, 'example.com.zone'), ZONE);
    writeFileSync(join(dir, 'my-service.delivery'), DELIVERY);
    writeFileSync(join(dir, 'tokens'), `${TOKEN1} datacenter my-service datacenter-1\n${TOKEN2} datacenter my-service datacenter-2\n`);
  });
  after(async () => {
    for (const r of reporters) r.kill('SIGKILL');
    await proc?.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('names the live pick (reported address, not-ready member) where the static explanation does not', async () => {
    const srv = await serveWithPorts([dir, '--signals', '127.0.0.1:0', '--tokens', join(dir, 'tokens'), '--geoip-db', SAMPLE_DB]);
    proc = srv.proc;
    reporters.push(report(srv.signals!, 'datacenter-1', TOKEN1, ['--address', REPORTED]), report(srv.signals!, 'datacenter-2', TOKEN2, ['--ready', '0']));
    // Europe's client: datacenter-2 is nearest but not ready; live DNS answers datacenter-1's reported address.
    const t0 = Date.now();
    while ((await dig(srv.dns, 'example.com', 'AAAA', { subnet: '10.2.0.0/24' })).addresses[0] !== REPORTED) {
      if (Date.now() - t0 > 15_000) throw new Error('serve never answered the reported address');
      await new Promise((r) => setTimeout(r, 200));
    }
    const args = [MAIN, 'explain', 'example.com', '--client', '10.2.0.0/24', '--geoip-db', SAMPLE_DB, dir];
    const live = await run(process.execPath, [...args, '--live', '--http', `127.0.0.1:${srv.http}`, '--json']);
    expect(live.code, live.stderr).to.equal(0);
    const j = JSON.parse(live.stdout);
    expect(j.state).to.equal('live');
    expect(j.picked).to.deep.equal(['datacenter-1']);
    expect(j.answer.map((a: { data: string }) => a.data)).to.deep.equal([REPORTED]);
    expect(j.members.find((m: { name: string }) => m.name === 'datacenter-2')).to.include({ ready: false, notReady: 'not-ready' });
    expect(j.reason).to.match(/spilled to group 2/);

    const text = await run(process.execPath, [...args, '--live', '--http', `127.0.0.1:${srv.http}`]);
    expect(text.stdout).to.match(/live state/);
    expect(text.stdout).to.contain(`answer:  example.com 90 IN AAAA ${REPORTED}`);

    const offline = JSON.parse((await run(process.execPath, [...args, '--json'])).stdout);
    expect(offline.state).to.equal('static');
    expect(offline.picked).to.deep.equal(['datacenter-2']);
  });

  it('says where it could not reach the serve', async () => {
    const r = await run(process.execPath, [MAIN, 'explain', 'example.com', '--client', '10.2.0.0/24', '--live', '--http', '127.0.0.1:1', dir]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/cannot reach anypick serve at http:\/\/127\.0\.0\.1:1\/status\.json/);
  });
});
