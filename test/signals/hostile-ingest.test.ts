/**
 * A member token in an attacker's hands, against a real `anypick serve`: 70 slow bodies at once,
 * and a 1 KiB gzip body that inflates to ~1 MiB of empty log records twice a second. Another
 * member keeps reporting; its reports must all succeed, its lease must never lapse, and DNS
 * must keep answering (a UDP sampler every 10 ms; figures printed, bench:ingest has the numbers).
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnAnypick } from '../support/anypick';
import type { AnypickProcess } from '../support/anypick';
import { DnsSampler, slowBodies } from '../support/ingest-load';
import { inflatingGzipLogs } from './hostile-bodies';
import { docExamples } from './helpers';
import { DC2, DELIVERY, ZONE } from './two-datacenters';

const TOKEN1 = 'hostile-token-datacenter-1-012345';
const TOKEN2 = 'hostile-token-datacenter-2-012345';
const DC2_UP = docExamples().get('presence-up')!.body.replace('"datacenter-1"', '"datacenter-2"').replace(/,\s*\{ "key": "anypick.address"[^\n]*\}/, '');

describe('signals under a hostile token holder (real anypick serve)', function () {
  this.timeout(90_000);
  let dir: string;
  let proc: AnypickProcess;
  let dns: number;
  let signals: number;
  let sampler: DnsSampler;
  let reporting: NodeJS.Timeout;
  const statuses: number[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'anypick-hostile-'));
    writeFileSync(join(dir, 'example.com.zone'), ZONE);
    writeFileSync(join(dir, 'my-service.delivery'), DELIVERY);
    writeFileSync(join(dir, 'tokens'), `${TOKEN1} datacenter my-service datacenter-1\n${TOKEN2} datacenter my-service datacenter-2\n`);
    proc = spawnAnypick(['serve', dir, '--dns', '127.0.0.1:0', '--http', '127.0.0.1:0', '--geoip-db', 'none', '--signals', '127.0.0.1:0', '--tokens', join(dir, 'tokens')]);
    dns = (await proc.waitFor((l) => l.msg === 'dns listening (udp, tcp)')).port as number;
    signals = ((await proc.waitFor((l) => l.msg === 'OTLP signals receiver listening')).address as { port: number }).port;
    // datacenter-2 reports every 250 ms for the whole run.
    const send = async (): Promise<void> => {
      const r = await fetch(`http://127.0.0.1:${signals}/v1/logs`, { method: 'POST', body: DC2_UP, headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN2}` } });
      statuses.push(r.status);
      await r.arrayBuffer();
    };
    await send();
    reporting = setInterval(() => void send().catch(() => statuses.push(0)), 250);
    // Past the start-up grace (3 s): datacenter-1 never reported, so only datacenter-2 answers.
    await proc.waitFor(() => false, 3300).catch(() => undefined);
    sampler = new DnsSampler(dns);
  });
  after(async () => {
    clearInterval(reporting);
    sampler?.close();
    await proc?.stop('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('70 slow bodies from one token: the others’ reports all succeed and their lease never lapses', async () => {
    statuses.length = 0;
    sampler.start();
    const attack = slowBodies(signals, TOKEN1, 70);
    const codes = await attack.done; // the receiver closes every one (429 at once, 408 after the 5 s body deadline)
    const s = await sampler.stop();
    expect(codes.filter((c) => c === '429').length, codes.join(' ')).to.be.at.least(60);
    expect(codes.every((c) => c === '429' || c === '408'), codes.join(' ')).to.equal(true);
    expect(statuses.length).to.be.at.least(10);
    expect(statuses.every((c) => c === 200), statuses.join(' ')).to.equal(true);
    expect(s.lost).to.equal(0);
    expect([...sampler.answers.keys()]).to.deep.equal([DC2]);
    process.stderr.write(`      (DNS during 70 slow bodies: ${s.answered} answers, p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, max ${s.max.toFixed(1)} ms)\n`);
  });

  it('the inflating gzip body twice a second: 413 every time, DNS keeps answering, other reports succeed', async () => {
    statuses.length = 0;
    const bomb = inflatingGzipLogs('datacenter-1');
    sampler.start();
    const codes: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t = Date.now();
      const r = await fetch(`http://127.0.0.1:${signals}/v1/logs`, { method: 'POST', body: bomb, headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip', authorization: `Bearer ${TOKEN1}` } });
      codes.push(r.status);
      await r.arrayBuffer();
      await new Promise((res) => setTimeout(res, Math.max(0, 500 - (Date.now() - t))));
    }
    const s = await sampler.stop();
    expect(codes).to.deep.equal(Array(10).fill(413));
    expect(statuses.every((c) => c === 200), statuses.join(' ')).to.equal(true);
    expect(s.lost).to.equal(0);
    expect([...sampler.answers.keys()]).to.deep.equal([DC2]);
    process.stderr.write(`      (DNS during the gzip bodies: ${s.answered} answers, p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, max ${s.max.toFixed(1)} ms)\n`);
  });
});
