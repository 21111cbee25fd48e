import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { MESSAGE_TYPE, SOCKET_FAMILY, SOCKET_PROTOCOL, decodeDnstap, encodeDnstap } from '../../src/dnstap/message';
import { readFrameFile } from '../../src/dnstap/fstrm';
import { FstrmSender } from '../../src/dnstap/sender';
import { requireTools } from '../support/tools';
import { startCapture } from '../support/dnstap';
import type { Capture } from '../support/dnstap';
import { freePort } from '../support/ports';

const logger = pino({ level: 'silent' });

/** A framed AUTH_QUERY whose query port is `n` (so frames can be told apart), `pad` octets of query. */
function frame(n: number, pad = 20): Buffer {
  return encodeDnstap({ type: MESSAGE_TYPE.AUTH_QUERY, family: SOCKET_FAMILY.INET, protocol: SOCKET_PROTOCOL.UDP, queryAddress: Buffer.from([127, 0, 0, 1]), queryPort: n, queryTime: { sec: 1, nsec: 0 }, queryMessage: Buffer.alloc(pad, n & 0xff) }, {}, true);
}

/** Polls `cond` every 20 ms until it holds (rejects after `ms`). */
async function until(cond: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The query ports of the frames fstrm_capture wrote to `file`. */
function portsIn(file: string): number[] {
  return readFrameFile(readFileSync(file)).map((b) => decodeDnstap(b).message!.queryPort);
}

describe('dnstap Frame Streams sender against fstrm_capture', function () {
  this.timeout(60_000);
  let dir: string;
  const captures: Capture[] = [];
  const senders: FstrmSender[] = [];
  beforeEach(function () {
    requireTools(this, 'fstrm_capture');
    dir = mkdtempSync(join(tmpdir(), 'anypick-fstrm-'));
  });
  afterEach(async () => {
    for (const s of senders.splice(0)) await s.close(200);
    for (const c of captures.splice(0)) await c.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('no collector yet: keeps the first queueFrames, drops the rest as collector_absent, delivers the kept ones once the collector appears', async () => {
    const sock = join(dir, 'tap.sock');
    const out = join(dir, 'out.fstrm');
    const s = new FstrmSender({ target: { kind: 'unix', path: sock }, logger, queueFrames: 4, backoffMs: { min: 20, max: 50 } });
    senders.push(s);
    for (let i = 1; i <= 10; i++) s.send(frame(i));
    expect(s.counters()).to.include({ sent: 0, queued: 4, connected: false });
    expect(s.counters().dropped).to.deep.equal({ collector_absent: 6, collector_slow: 0, shutdown: 0 });
    const cap = await startCapture(['-t', 'protobuf:dnstap.Dnstap', '-u', sock, '-w', out]);
    captures.push(cap);
    await until(() => s.counters().sent === 4, 10_000, 'the queued frames to be sent');
    for (let i = 11; i <= 13; i++) s.send(frame(i));
    await until(() => s.counters().sent === 7, 10_000, 'three more frames');
    await s.close();
    await cap.stop();
    expect(portsIn(out)).to.deep.equal([1, 2, 3, 4, 11, 12, 13]);
    expect(s.counters().connections).to.equal(1);
  });

  it('a collector that stops reading (SIGSTOP): frames beyond the queue are dropped as collector_slow, send() never waits; all that was sent arrives after SIGCONT', async () => {
    const sock = join(dir, 'tap.sock');
    const out = join(dir, 'out.fstrm');
    const cap = await startCapture(['-t', 'protobuf:dnstap.Dnstap', '-u', sock, '-w', out]);
    captures.push(cap);
    const s = new FstrmSender({ target: { kind: 'unix', path: sock }, logger, queueFrames: 100, maxBufferedBytes: 64 * 1024 });
    senders.push(s);
    await until(() => s.counters().connected, 10_000, 'the handshake');
    cap.child.kill('SIGSTOP');
    try {
      // 1 KB frames: the kernel's socket buffer, 64 KB in Node and 100 queued frames fill up long before 20,000.
      for (let round = 0; round < 20; round++) {
        for (let i = 0; i < 1000; i++) s.send(frame(round * 1000 + i, 1000));
        await new Promise((r) => setImmediate(r));
      }
      const c = s.counters();
      expect(c.dropped.collector_slow).to.be.greaterThan(0);
      expect(c.dropped.collector_absent).to.equal(0);
      expect(c.sent + c.queued + c.dropped.collector_slow).to.equal(20_000);
      expect(c.queued).to.be.at.most(100);
    } finally {
      cap.child.kill('SIGCONT');
    }
    await s.close(10_000);
    await cap.stop();
    const c = s.counters();
    const ports = portsIn(out);
    // What close() flushed counts as sent; nothing sent is lost and the order is kept.
    expect(ports.length).to.equal(c.sent);
    expect(ports).to.deep.equal([...ports].sort((a, b) => a - b));
    expect(c.sent + c.dropped.collector_slow + c.dropped.shutdown).to.equal(20_000);
  });

  it('tcp:ADDR:PORT to fstrm_capture -a/-p; reconnects after the collector restarts', async () => {
    const port = await freePort();
    const out1 = join(dir, 'one.fstrm');
    const out2 = join(dir, 'two.fstrm');
    let cap = await startCapture(['-t', 'protobuf:dnstap.Dnstap', '-a', '127.0.0.1', '-p', String(port), '-w', out1]);
    captures.push(cap);
    const s = new FstrmSender({ target: { kind: 'tcp', host: '127.0.0.1', port }, logger, backoffMs: { min: 20, max: 100 } });
    senders.push(s);
    await until(() => s.counters().connected, 10_000, 'the handshake');
    for (let i = 1; i <= 3; i++) s.send(frame(i));
    await until(() => s.counters().sent === 3, 10_000, 'three frames');
    await cap.stop();
    await until(() => !s.counters().connected, 10_000, 'the sender to see the collector gone');
    cap = await startCapture(['-t', 'protobuf:dnstap.Dnstap', '-a', '127.0.0.1', '-p', String(port), '-w', out2]);
    captures.push(cap);
    await until(() => s.counters().connected, 10_000, 'the reconnect');
    for (let i = 4; i <= 5; i++) s.send(frame(i));
    await until(() => s.counters().sent === 5, 10_000, 'two more frames');
    await s.close();
    await cap.stop();
    expect(portsIn(out1)).to.deep.equal([1, 2, 3]);
    expect(portsIn(out2)).to.deep.equal([4, 5]);
    expect(s.counters().connections).to.equal(2);
  });

  it('a collector for another content type is refused (no frames are sent to it)', async () => {
    const sock = join(dir, 'tap.sock');
    const cap = await startCapture(['-t', 'protobuf:other.Thing', '-u', sock, '-w', join(dir, 'out.fstrm')]);
    captures.push(cap);
    const s = new FstrmSender({ target: { kind: 'unix', path: sock }, logger, backoffMs: { min: 20, max: 50 } });
    senders.push(s);
    s.send(frame(1));
    await new Promise((r) => setTimeout(r, 300));
    expect(s.counters()).to.include({ sent: 0, connected: false, connections: 0 });
    expect(existsSync(sock)).to.equal(true);
  });
});
