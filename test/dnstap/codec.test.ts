import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MESSAGE_TYPE, SOCKET_FAMILY, SOCKET_PROTOCOL, decodeDnstap, dnstapTime, encodeDnstap } from '../../src/dnstap/message';
import type { DnstapMessage } from '../../src/dnstap/message';
import { ProtobufError, ProtobufWriter, readFields, varintLength } from '../../src/dnstap/protobuf';
import { CONTROL, DNSTAP_CONTENT_TYPE, FrameReader, FstrmError, decodeControl, encodeControl, readFrameFile } from '../../src/dnstap/fstrm';
import { DnstapTargetError, formatDnstapTarget, parseDnstapTarget } from '../../src/dnstap/sender';
import { DnstapTap } from '../../src/dnstap/tap';
import type { TapExchange } from '../../src/dnstap/tap';
import { requireTools } from '../support/tools';
import { dnstapRead, ecsOf } from '../support/dnstap';
import { query } from '../dns/helpers';

const sample: DnstapMessage = {
  type: MESSAGE_TYPE.AUTH_RESPONSE,
  family: SOCKET_FAMILY.INET6,
  protocol: SOCKET_PROTOCOL.TCP,
  queryAddress: Buffer.from('20010db8000000000000000000000042', 'hex'),
  queryPort: 53124,
  responseAddress: Buffer.from('20010db8000000000000000000000053', 'hex'),
  responsePort: 53,
  queryTime: { sec: 1_796_529_115, nsec: 741_000_000 },
  queryMessage: Buffer.from([1, 2, 3]),
  responseTime: { sec: 1_796_529_115, nsec: 999_999_999 },
  responseMessage: Buffer.alloc(300, 7),
};

describe('dnstap protobuf and Frame Streams codecs', () => {
  it('varints: lengths and values round-trip at the 7-bit boundaries and beyond 2^32', () => {
    for (const n of [0, 1, 127, 128, 16383, 16384, 2 ** 32 - 1, 2 ** 32, 2 ** 35 + 5, Number.MAX_SAFE_INTEGER]) {
      const buf = Buffer.alloc(20);
      const w = new ProtobufWriter(buf);
      w.uint(3, n);
      expect(w.at, `length of ${n}`).to.equal(1 + varintLength(n));
      expect(readFields(buf.subarray(0, w.at))).to.deep.equal([{ field: 3, wire: 0, value: n }]);
    }
    expect(varintLength(127)).to.equal(1);
    expect(varintLength(128)).to.equal(2);
  });

  it('a Dnstap message round-trips with every field anypick writes, framed or not', () => {
    const source = { identity: Buffer.from('ns1'), version: Buffer.from('anypick 0.1.0') };
    const bare = encodeDnstap(sample, source);
    const d = decodeDnstap(bare);
    expect(d.type).to.equal(1);
    expect(Buffer.from(d.identity!).toString()).to.equal('ns1');
    expect(Buffer.from(d.version!).toString()).to.equal('anypick 0.1.0');
    const m = d.message!;
    expect({ ...m, queryAddress: Buffer.from(m.queryAddress), responseAddress: Buffer.from(m.responseAddress!), queryMessage: Buffer.from(m.queryMessage!), responseMessage: Buffer.from(m.responseMessage!) }).to.deep.equal(sample);
    const framed = encodeDnstap(sample, source, true);
    expect(framed.readUInt32BE(0)).to.equal(bare.length);
    expect(framed.subarray(4)).to.deep.equal(bare);
    // Without a source there is no identity/version field at all.
    expect(decodeDnstap(encodeDnstap(sample)).identity).to.equal(undefined);
  });

  it('malformed protobuf is an error, not a wrong message', () => {
    const bare = encodeDnstap(sample);
    for (const cut of [1, 5, bare.length - 1]) expect(() => decodeDnstap(bare.subarray(0, cut)), `cut at ${cut}`).to.throw(ProtobufError);
    expect(() => readFields(Buffer.from([0x0b]))).to.throw(ProtobufError, 'wire type 3');
    expect(() => readFields(Buffer.from([0x00, 0x01]))).to.throw(ProtobufError, 'field number 0');
    expect(() => decodeDnstap(Buffer.from([0x0a, 0x01, 0x41]))).to.throw(ProtobufError, 'Dnstap.type');
  });

  it('times: milliseconds become seconds and nanoseconds', () => {
    expect(dnstapTime(1_796_529_115_741)).to.deep.equal({ sec: 1_796_529_115, nsec: 741_000_000 });
    expect(dnstapTime(1000.5)).to.deep.equal({ sec: 1, nsec: 500_000 });
    expect(dnstapTime(0)).to.deep.equal({ sec: 0, nsec: 0 });
  });

  it('control frames round-trip; the reader splits a stream fed one octet at a time', () => {
    const ready = encodeControl(CONTROL.READY, [DNSTAP_CONTENT_TYPE, 'other']);
    expect(ready.readUInt32BE(0)).to.equal(0);
    expect(ready.readUInt32BE(4)).to.equal(ready.length - 8);
    expect(decodeControl(ready.subarray(8))).to.deep.equal({ type: CONTROL.READY, contentTypes: [DNSTAP_CONTENT_TYPE, 'other'] });
    const stream = Buffer.concat([encodeControl(CONTROL.START, [DNSTAP_CONTENT_TYPE]), encodeDnstap(sample, {}, true), encodeDnstap(sample, {}, true), encodeControl(CONTROL.STOP)]);
    const r = new FrameReader();
    const frames = [];
    for (let i = 0; i < stream.length; i++) frames.push(...r.push(stream.subarray(i, i + 1)));
    expect(r.pending).to.equal(0);
    expect(frames.map((f) => ('control' in f ? `control ${f.control.type}` : `data ${f.data.length}`))).to.deep.equal(['control 2', `data ${encodeDnstap(sample).length}`, `data ${encodeDnstap(sample).length}`, 'control 3']);
    expect(readFrameFile(stream).map((b) => decodeDnstap(b).message!.queryPort)).to.deep.equal([53124, 53124]);
  });

  it('bad Frame Streams input is an FstrmError', () => {
    const start = encodeControl(CONTROL.START, [DNSTAP_CONTENT_TYPE]);
    const huge = Buffer.alloc(8);
    huge.writeUInt32BE(513, 4);
    expect(() => new FrameReader().push(huge)).to.throw(FstrmError, 'exceeds 512');
    expect(() => new FrameReader(100).push(Buffer.from([0, 0, 0, 101]))).to.throw(FstrmError, 'exceeds 100');
    expect(() => encodeControl(CONTROL.READY, ['x'.repeat(600)])).to.throw(FstrmError);
    expect(() => decodeControl(Buffer.from([0, 0]))).to.throw(FstrmError, 'no type');
    expect(() => decodeControl(Buffer.from([0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 9, 0x41]))).to.throw(FstrmError, 'runs past');
    expect(() => readFrameFile(start)).to.throw(FstrmError, 'without a STOP');
    expect(() => readFrameFile(Buffer.concat([start, Buffer.from([0, 0, 0, 9, 1])]))).to.throw(FstrmError, 'unfinished');
    expect(() => readFrameFile(encodeControl(CONTROL.START, ['protobuf:other']))).to.throw(FstrmError, 'content type');
    expect(() => readFrameFile(encodeDnstap(sample, {}, true))).to.throw(FstrmError, 'START');
  });

  it('collector targets: unix:PATH and tcp:ADDR:PORT, and what is rejected', () => {
    expect(parseDnstapTarget('unix:/run/anypick/dnstap.sock')).to.deep.equal({ kind: 'unix', path: '/run/anypick/dnstap.sock' });
    expect(parseDnstapTarget('tcp:127.0.0.1:6000')).to.deep.equal({ kind: 'tcp', host: '127.0.0.1', port: 6000 });
    expect(parseDnstapTarget('tcp:[::1]:6000')).to.deep.equal({ kind: 'tcp', host: '::1', port: 6000 });
    expect(formatDnstapTarget(parseDnstapTarget('tcp:[::1]:6000'))).to.equal('tcp:[::1]:6000');
    for (const bad of ['unix:', 'tcp:127.0.0.1', 'tcp:::1:6000', 'tcp:127.0.0.1:0', 'tcp:127.0.0.1:70000', 'udp:127.0.0.1:6000', '/run/x.sock']) {
      expect(() => parseDnstapTarget(bad), bad).to.throw(DnstapTargetError);
    }
  });

  it('the tap: AUTH_QUERY and AUTH_RESPONSE per kept query, 1 in N kept, no response when none was sent', () => {
    const frames: Buffer[] = [];
    const tap = new DnstapTap({ admit: () => true, send: (f) => frames.push(f) }, { sample: 3, identity: 'ns1' });
    const e: TapExchange = { query: query('example.com', 'A', { id: 1 }), reply: Buffer.from([9, 9]), tcp: false, family: 4, clientAddress: Buffer.from([10, 0, 0, 1]), clientPort: 4000, serverAddress: Buffer.from([127, 0, 0, 1]), serverPort: 53, receivedMs: 1000, repliedMs: 1001 };
    for (let i = 0; i < 9; i++) {
      const x = { ...e, clientPort: 4000 + i, reply: i === 3 ? undefined : e.reply };
      if (tap.take(x.reply !== undefined)) tap.exchange(x);
    }
    const msgs = frames.map((f) => decodeDnstap(f.subarray(4)).message!);
    expect(msgs.map((m) => `${m.type}:${m.queryPort}`)).to.deep.equal(['1:4000', '2:4000', '1:4003', '1:4006', '2:4006']);
    const resp = msgs[1];
    expect(resp.family).to.equal(SOCKET_FAMILY.INET);
    expect(resp.protocol).to.equal(SOCKET_PROTOCOL.UDP);
    expect(resp.responseTime).to.deep.equal({ sec: 1, nsec: 1_000_000 });
    expect(Buffer.from(resp.responseMessage!)).to.deep.equal(Buffer.from([9, 9]));
    expect(msgs[0].queryMessage && Buffer.from(msgs[0].queryMessage)).to.deep.equal(e.query);
    expect(() => new DnstapTap({ admit: () => true, send: () => undefined }, { sample: 0 })).to.throw(TypeError);
    // A sink without room: nothing is taken, so nothing is encoded.
    const full = new DnstapTap({ admit: () => false, send: () => expect.fail('sent to a full sink') });
    expect(full.take(true)).to.equal(false);
  });

  it('dnstap-read reads a file written with these codecs: addresses, ports, protocol, the ECS of the query', async function () {
    requireTools(this, 'dnstap-read');
    const dir = mkdtempSync(join(tmpdir(), 'anypick-dnstap-'));
    try {
      const q = query('www.example.com', 'AAAA', { id: 777, ecs: { family: 1, sourcePrefix: 24, address: '10.3.0.0' } });
      const m: DnstapMessage = { type: MESSAGE_TYPE.AUTH_QUERY, family: SOCKET_FAMILY.INET, protocol: SOCKET_PROTOCOL.TCP, queryAddress: Buffer.from([192, 0, 2, 7]), queryPort: 40001, responseAddress: Buffer.from([192, 0, 2, 53]), responsePort: 53, queryTime: dnstapTime(Date.now()), queryMessage: q };
      const file = join(dir, 'one.fstrm');
      writeFileSync(file, Buffer.concat([encodeControl(CONTROL.START, [DNSTAP_CONTENT_TYPE]), encodeDnstap(m, { identity: Buffer.from('ns1') }, true), encodeControl(CONTROL.STOP)]));
      const { records } = await dnstapRead(file);
      expect(records).to.have.length(1);
      const r = records[0];
      expect(r.identity).to.equal('ns1');
      expect(r.message).to.include({ type: 'AUTH_QUERY', socket_family: 'INET', socket_protocol: 'TCP', query_address: '192.0.2.7', query_port: 40001, response_address: '192.0.2.53', response_port: 53 });
      expect(r.message.query_message_data!.id).to.equal(777);
      expect(r.message.query_message_data!.QUESTION_SECTION).to.deep.equal(['www.example.com. IN AAAA']);
      expect(ecsOf(r.message.query_message_data)).to.equal('10.3.0.0/24/0');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
