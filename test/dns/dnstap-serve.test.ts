import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dnsPacket from 'dns-packet';
import { requireAddon, requireTools } from '../support/tools';
import { serveWithPorts } from '../support/anypick';
import type { AnypickProcess } from '../support/anypick';
import { dnstapRead, ecsOf, startCapture } from '../support/dnstap';
import type { Capture, DnstapRecord } from '../support/dnstap';
import { dnsperf } from '../support/dnsperf';
import { freePort } from '../support/ports';
import { fencedBlocks } from '../ops/doc-blocks';
import { splitWords } from '../ops/unit-file';
import { query } from './helpers';

const root = join(__dirname, '..', '..', '..');
const ZONES = join(root, 'zones');
const GEO = join(root, 'geo-data', 'sample.mmdb');

/** One query the test sends, and how: transport, source address, the ECS it carries. */
interface Sent {
  id: number;
  name: string;
  type: string;
  tcp: boolean;
  from: string;
  ecs?: string;
  /** Filled in once sent: the source port and the reply. */
  port?: number;
  reply?: dnsPacket.Packet;
}

/** Sends `q` from `q.from` (a loopback address) over UDP or TCP and records the port used and the reply. */
function send(port: number, q: Sent): Promise<void> {
  const ecs = q.ecs ? { family: 1, sourcePrefix: Number(q.ecs.split('/')[1]), address: q.ecs.split('/')[0] } : undefined;
  const msg = query(q.name, q.type, { id: q.id, ecs });
  if (!q.tcp) {
    return new Promise((resolve, reject) => {
      const s = createSocket('udp4');
      const t = setTimeout(() => { s.close(); reject(new Error(`no UDP reply to ${q.id}`)); }, 3000);
      s.on('message', (m) => { clearTimeout(t); q.reply = dnsPacket.decode(m); s.close(); resolve(); });
      s.bind(0, q.from, () => {
        q.port = s.address().port;
        s.send(msg, port, '127.0.0.1');
      });
    });
  }
  return new Promise((resolve, reject) => {
    const c = connect({ host: '127.0.0.1', port, localAddress: q.from }, () => {
      q.port = c.localPort;
      const frame = Buffer.alloc(2 + msg.length);
      frame.writeUInt16BE(msg.length, 0);
      msg.copy(frame, 2);
      c.write(frame);
    });
    let buf = Buffer.alloc(0);
    c.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        q.reply = dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        c.end();
        resolve();
      }
    });
    c.on('error', reject);
  });
}

/** The AUTH_QUERY and AUTH_RESPONSE records of `q` (by id, client address, port and protocol). */
function recordsOf(records: DnstapRecord[], q: Sent): { aq: DnstapRecord[]; ar: DnstapRecord[] } {
  const mine = records.filter((r) => r.message.query_address === q.from && r.message.query_port === q.port && r.message.socket_protocol === (q.tcp ? 'TCP' : 'UDP'));
  return {
    aq: mine.filter((r) => r.message.type === 'AUTH_QUERY' && r.message.query_message_data?.id === q.id),
    ar: mine.filter((r) => r.message.type === 'AUTH_RESPONSE' && r.message.response_message_data?.id === q.id),
  };
}

/** A scrape of serve's /metrics: the value of the series starting `series` (a name, or a name and its first labels), 0 when absent. */
async function metric(http: number, series: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${http}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(series) && /[ {,}]/.test(l[series.length]));
  return line ? Number(line.split(' ').pop()) : 0;
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => execFile(cmd, args, (err, out, stderr) => (err ? reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`)) : resolve(out))));
}

describe('dnstap from a real anypick serve, captured by fstrm_capture, read by dnstap-read', function () {
  this.timeout(120_000);
  let dir: string;
  let cap: Capture | undefined;
  let serve: AnypickProcess | undefined;
  beforeEach(function () {
    requireTools(this, 'fstrm_capture', 'dnstap-read', 'dig', 'kdig', 'dnsperf');
    dir = mkdtempSync(join(tmpdir(), 'anypick-dnstap-serve-'));
  });
  afterEach(async () => {
    await serve?.stop();
    await cap?.kill();
    serve = cap = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const io of ['batch', 'dgram'] as const) {
    it(`every query and response the test sends is in the capture, with client address, port and ECS (UDP --io ${io}, and TCP)`, async function () {
      if (io === 'batch') requireAddon(this, 'anypick_udp');
      const sock = join(dir, 'tap.sock');
      const file = join(dir, 'tap.fstrm');
      cap = await startCapture(['-t', 'protobuf:dnstap.Dnstap', '-u', sock, '-w', file]);
      const s = await serveWithPorts([ZONES, '--geoip-db', GEO, '--io', io, '--nsid', 'dnstap-test', '--dnstap', `unix:${sock}`]);
      serve = s.proc;
      await serve.waitFor((l) => l.msg === 'dnstap connected');
      const sent: Sent[] = [
        { id: 1001, name: 'example.com', type: 'AAAA', tcp: false, from: '127.0.0.1', ecs: '10.3.0.0/24' },
        { id: 1002, name: 'example.com', type: 'AAAA', tcp: false, from: '127.0.1.1' },
        { id: 1003, name: 'example.com', type: 'SOA', tcp: false, from: '127.0.0.1' },
        { id: 1004, name: 'example.com', type: 'AAAA', tcp: true, from: '127.0.1.1', ecs: '10.2.0.0/16' },
        { id: 1005, name: 'nothing-here.example.com', type: 'A', tcp: true, from: '127.0.0.1' },
        { id: 1006, name: 'example.com', type: 'AAAA', tcp: false, from: '127.0.0.1', ecs: '10.3.0.0/24' }, // the reply cache's path
        { id: 1007, name: 'example.com', type: 'AAAA', tcp: false, from: '127.0.0.1', ecs: '10.3.0.0/24' },
      ];
      for (const q of sent) await send(s.dns, q);
      await serve.stop();
      serve = undefined;
      await cap.stop();
      const { records } = await dnstapRead(file);
      expect(records, 'one AUTH_QUERY and one AUTH_RESPONSE per query, nothing else').to.have.length(2 * sent.length);
      for (const q of sent) {
        const { aq, ar } = recordsOf(records, q);
        expect(aq, `AUTH_QUERY of ${q.id}`).to.have.length(1);
        expect(ar, `AUTH_RESPONSE of ${q.id}`).to.have.length(1);
        const qd = aq[0].message.query_message_data!;
        const rd = ar[0].message.response_message_data!;
        expect(aq[0].identity).to.equal('dnstap-test');
        expect(aq[0].message).to.include({ socket_family: 'INET', response_address: '127.0.0.1', response_port: s.dns });
        expect(qd.QUESTION_SECTION).to.deep.equal([`${q.name}. IN ${q.type}`]);
        expect(rd.status).to.equal(q.name.startsWith('nothing') ? 'NXDOMAIN' : 'NOERROR');
        expect((q.reply as unknown as { rcode: string }).rcode).to.equal(rd.status);
        // The ECS as the client sent it (scope 0) and as anypick answered (the pick's scope).
        if (q.ecs) {
          expect(ecsOf(qd)).to.equal(`${q.ecs}/0`);
          const opt = q.reply!.additionals!.find((a) => a.type === 'OPT') as unknown as { options: Array<{ code: number; scopePrefixLength?: number }> };
          const scope = opt.options.find((o) => o.code === 8)!.scopePrefixLength;
          expect(ecsOf(rd)).to.equal(`${q.ecs}/${scope}`);
        } else expect(ecsOf(qd)).to.equal(undefined);
        // The answer in the capture is the one the client got.
        const answers = (q.reply!.answers ?? []) as Array<{ type: string; data: unknown }>;
        expect((rd.ANSWER_SECTION ?? []).length).to.equal(answers.length);
        for (const a of answers) if (a.type === 'AAAA') expect(rd.ANSWER_SECTION!.join('\n')).to.include(String(a.data).replace(/::$/, '::0'));
      }
    });
  }

  it('--workers 2: each worker has its own connection, and together they deliver every query', async () => {
    const sock = join(dir, 'tap.sock');
    const file = join(dir, 'tap.fstrm');
    cap = await startCapture(['-t', 'protobuf:dnstap.Dnstap', '-u', sock, '-w', file]);
    const s = await serveWithPorts([ZONES, '--geoip-db', GEO, '--workers', '2', '--dnstap', `unix:${sock}`]);
    serve = s.proc;
    const proc = serve;
    await proc.waitFor(() => new Set(proc.logs.filter((l) => l.msg === 'dnstap connected').map((l) => l.pid)).size === 2);
    await proc.waitFor(() => proc.logs.filter((l) => l.msg === 'dns listening (udp, tcp)').length === 2);
    const sent: Sent[] = Array.from({ length: 12 }, (_, i) => ({ id: 2000 + i, name: 'example.com', type: 'AAAA', tcp: i % 3 === 0, from: i % 2 ? '127.0.1.1' : '127.0.0.1', ecs: '10.3.0.0/24' }));
    for (const q of sent) await send(s.dns, q);
    await serve.stop();
    serve = undefined;
    await cap.stop();
    const { records } = await dnstapRead(file);
    expect(records).to.have.length(2 * sent.length);
    for (const q of sent) {
      const { aq, ar } = recordsOf(records, q);
      expect([aq.length, ar.length], `query ${q.id}`).to.deep.equal([1, 1]);
      expect(ecsOf(aq[0].message.query_message_data)).to.equal('10.3.0.0/24/0');
    }
  });

  it('with the collector killed: every query still answered, as before; the drop counter rises by what the queue could not hold', async () => {
    const sock = join(dir, 'tap.sock');
    cap = await startCapture(['-t', 'protobuf:dnstap.Dnstap', '-u', sock, '-w', join(dir, 'tap.fstrm')]);
    const s = await serveWithPorts([ZONES, '--geoip-db', GEO, '--dnstap', `unix:${sock}`]);
    serve = s.proc;
    await serve.waitFor((l) => l.msg === 'dnstap connected');
    const queries = ['example.com AAAA', 'example.com SOA', 'www.example.com A', 'example.com NS', 'nothing-here.example.com A', 'example.com MX'];
    const qfile = join(dir, 'queries.txt');
    const before = await dnsperf(s.dns, queries, 2000, qfile);
    const answersBefore = await Promise.all(queries.map((q) => run('dig', ['@127.0.0.1', '-p', String(s.dns), '+short', ...q.split(' ')])));
    await cap.kill();
    cap = undefined;
    await serve.waitFor((l) => l.msg === 'dnstap collector unavailable; dropping messages while the queue is full, retrying');
    const sent0 = await metric(s.http, 'anypick_dnstap_sent_total');
    const times = 5000;
    const burst = await dnsperf(s.dns, queries, times, qfile);
    expect(burst.sent).to.equal(queries.length * times);
    expect(burst.lost, burst.text).to.equal(0);
    expect(burst.completed).to.equal(queries.length * times);
    expect(burst.rcodes).to.deep.equal({ NOERROR: 5 * times, NXDOMAIN: times });
    const answersAfter = await Promise.all(queries.map((q) => run('dig', ['@127.0.0.1', '-p', String(s.dns), '+short', ...q.split(' ')])));
    expect(answersAfter).to.deep.equal(answersBefore);
    const dropped = await metric(s.http, 'anypick_dnstap_dropped_total{reason="collector_absent"');
    const sent1 = await metric(s.http, 'anypick_dnstap_sent_total');
    expect(sent1).to.equal(sent0); // nobody to send to
    // Two messages per query (all were answered), of which the queue keeps at most 10,000.
    const made = 2 * (burst.completed + queries.length);
    expect(dropped).to.be.at.least(made - 10_000);
    expect(dropped).to.be.at.most(made);
    expect(await metric(s.http, 'anypick_dnstap_dropped_total{reason="collector_slow"')).to.equal(0);
    // Throughput, for the record (not asserted: timing): with the collector, and with it gone.
    console.log(`      dnsperf q/s: collector reading ${Math.round(before.qps)}, collector killed ${Math.round(burst.qps)}; dropped ${dropped}`);
  });

  /** Runs one ```sh dnstap block of docs/operations.md line by line, on temp paths and the ports bound. */
  async function runDocBlock(text: string): Promise<{ outputs: string[]; dnsPort: number; lines: string[] }> {
    const tcpPort = await freePort();
    const sub = (line: string, dns?: number): string => line
      .replace(/\/run\/anypick\/dnstap\.sock/g, join(dir, 'tap.sock'))
      .replace(/\/var\/lib\/anypick\/dnstap\.fstrm/g, join(dir, 'tap.fstrm'))
      .replace(/(tcp:127\.0\.0\.1:|-p )6000\b/g, `$1${tcpPort}`)
      .replace(/-p 5300\b/g, `-p ${dns ?? 5300}`);
    const outputs: string[] = [];
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    let dns = 0;
    for (const raw of lines) {
      const line = sub(raw.replace(/\s+#.*$/, ''), dns);
      const words = splitWords(line.replace(/\s*&$/, ''));
      const loop = /^for i in \$\(seq (\d+)\); do (.*); done$/.exec(line);
      if (words[0] === 'fstrm_capture') cap = await startCapture(words.slice(1));
      else if (words[0] === 'anypick' && words[1] === 'serve') {
        const args = words.slice(2).map((w) => (w === 'zones' ? ZONES : w === 'geo-data/sample.mmdb' ? GEO : w));
        const s = await serveWithPorts(args);
        serve = s.proc;
        dns = s.dns;
        await serve.waitFor((l) => l.msg === 'dnstap connected');
      } else if (words[0] === 'dig' || words[0] === 'kdig') outputs.push(await run(words[0], words.slice(1)));
      else if (loop) {
        const inner = splitWords(sub(loop[2], dns));
        for (let i = 0; i < Number(loop[1]); i++) outputs.push(await run(inner[0], inner.slice(1)));
      } else if (/^kill %2 && kill -INT %1$/.test(line)) {
        await serve!.stop('SIGTERM');
        serve = undefined;
        await cap!.stop();
      } else if (words[0] === 'dnstap-read') outputs.push(await run('dnstap-read', words.slice(1)));
      else throw new Error(`docs/operations.md dnstap example: a line the test does not know how to run: ${raw}`);
    }
    return { outputs, dnsPort: dns, lines };
  }

  it('the dnstap examples of docs/operations.md run as written and show what they say', async () => {
    const blocks = fencedBlocks(readFileSync(join(root, 'docs', 'operations.md'), 'utf8')).filter((b) => b.info[0] === 'sh' && b.info[1] === 'dnstap');
    expect(blocks, 'the ```sh dnstap blocks').to.have.length(2);
    // The unix socket capture: dig's UDP query with ECS and kdig's TCP query, both ways.
    {
      const { outputs } = await runDocBlock(blocks[0].text);
      const yaml = outputs[outputs.length - 1];
      const { records } = await dnstapRead(join(dir, 'tap.fstrm'));
      expect(records.map((r) => `${r.message.type} ${r.message.socket_protocol} ${r.message.query_address}`)).to.deep.equal([
        'AUTH_QUERY UDP 127.0.0.1', 'AUTH_RESPONSE UDP 127.0.0.1', 'AUTH_QUERY TCP 127.0.0.1', 'AUTH_RESPONSE TCP 127.0.0.1',
      ]);
      expect(ecsOf(records[0].message.query_message_data)).to.equal('10.3.0.0/24/0');
      expect(ecsOf(records[1].message.response_message_data)).to.equal('10.3.0.0/24/24');
      expect(records[3].message.response_message_data!.ANSWER_SECTION!.join()).to.include('SOA');
      expect(yaml).to.include('CLIENT-SUBNET: 10.3.0.0/24/0');
      rmSync(join(dir, 'tap.fstrm'));
    }
    // TCP to the collector, one query in ten: 20 digs give 2 queries, 4 lines of dnstap-read.
    {
      const { outputs } = await runDocBlock(blocks[1].text);
      const lines = outputs[outputs.length - 1].split('\n').filter(Boolean);
      expect(lines.map((l) => / (AQ|AR) /.exec(l)?.[1])).to.deep.equal(['AQ', 'AR', 'AQ', 'AR']);
      for (const l of lines) expect(l).to.include('example.com/IN/AAAA');
    }
  });
});
