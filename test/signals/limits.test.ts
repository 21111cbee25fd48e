import { expect } from 'chai';
import { once } from 'node:events';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { DEFAULT_LIMITS, InFlight } from '../../src/signals/limits';
import { TokenStore } from '../../src/signals/tokens';
import { docExamples, jsonHeaders, post, startTestReceiver, TOKEN_DC1, TOKEN_DC2, TOKENS_TEXT } from './helpers';
import { deepJsonLogs, deepProtoLogs, inflatingGzipLogs } from './hostile-bodies';

const ex = (name: string) => docExamples().get(name)!.body;
const protoHeaders = (token = TOKEN_DC1) => ({ 'content-type': 'application/x-protobuf', authorization: `Bearer ${token}` });

/** The presence-up example with every record stamped at `timeMs`. */
function stamped(timeMs: number, name = 'presence-up'): string {
  const nanos = `${BigInt(Math.round(timeMs)) * 1_000_000n}`;
  return ex(name).replace(/"eventName": "(\w+)"/g, `"timeUnixNano": "${nanos}", "eventName": "$1"`);
}

describe('signals/receiver: limits, deadlines and hostile bodies', function () {
  this.timeout(20_000);
  let t: Awaited<ReturnType<typeof startTestReceiver>>;
  const dc1 = () => t.registry.get('datacenter', 'my-service', 'datacenter-1');
  afterEach(async () => t?.close());

  it('InFlight: a per-key cap below a total cap', () => {
    const f = new InFlight(2, 3);
    expect([f.take('a'), f.take('a'), f.take('a')]).to.deep.equal(['ok', 'ok', 'key']);
    expect([f.take('b'), f.take('c')]).to.deep.equal(['ok', 'total']);
    f.release('a');
    expect(f.take('c')).to.equal('ok');
    expect(() => new InFlight(0, 1)).to.throw(TypeError);
  });

  it('a gzip body inflating past the limit: 413, stopped while streaming', async () => {
    t = await startTestReceiver({}, { limits: { maxBodyBytes: 64 * 1024 } });
    const bomb = inflatingGzipLogs('datacenter-1');
    expect(bomb.length).to.be.below(4096);
    const r = await post(`${t.url}/v1/logs`, bomb, { ...protoHeaders(), 'content-encoding': 'gzip' });
    expect(r.status).to.equal(413);
    expect(r.body.toString()).to.match(/decompressed body exceeds the limit of 65536 bytes/);
  });

  it('more records than the per-body limit: 413 (the inflating body under the byte limit)', async () => {
    t = await startTestReceiver();
    const r = await post(`${t.url}/v1/logs`, inflatingGzipLogs('datacenter-1'), { ...protoHeaders(), 'content-encoding': 'gzip' });
    expect(r.status).to.equal(413);
    expect(r.body.toString()).to.match(/more than 10000 log records/);
    const many = JSON.stringify({ resourceLogs: Array.from({ length: 101 }, () => ({})) });
    const r2 = await post(`${t.url}/v1/logs`, many, jsonHeaders());
    expect(r2.status).to.equal(413);
    expect(r2.json().message).to.match(/more than 100 resources/);
  });

  it('AnyValue nested 30,000 deep (JSON) or 3,000 (protobuf): 400; 400 deep is fine', async () => {
    t = await startTestReceiver();
    const j = await post(`${t.url}/v1/logs`, deepJsonLogs('datacenter-1', 30_000), jsonHeaders());
    expect(j.status).to.equal(400);
    expect(j.json().message).to.match(/nested deeper than 400/);
    const p = await post(`${t.url}/v1/logs`, gzipSync(deepProtoLogs('datacenter-1', 3000)), { ...protoHeaders(), 'content-encoding': 'gzip' });
    expect(p.status).to.equal(400);
    expect((await post(`${t.url}/v1/logs`, deepJsonLogs('datacenter-1', 400), jsonHeaders())).status).to.equal(200);
  });

  it('a body not received within the deadline: 408 and the connection closes; the slot is free again', async () => {
    t = await startTestReceiver({}, { limits: { bodyTimeoutMs: 300, maxInFlightPerToken: 1 } });
    const s = connect(Number(new URL(t.url).port), '127.0.0.1');
    await once(s, 'connect');
    s.write(`POST /v1/logs HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nauthorization: Bearer ${TOKEN_DC1}\r\ncontent-length: 100\r\n\r\n{`);
    let reply = '';
    s.on('data', (d) => { reply += d.toString(); });
    await once(s, 'close');
    expect(reply).to.match(/^HTTP\/1.1 408/);
    expect((await post(`${t.url}/v1/logs`, ex('presence-up'), jsonHeaders())).status).to.equal(200);
  });

  it('headers not completed within the deadline: the connection is closed', async () => {
    t = await startTestReceiver({}, { limits: { headersTimeoutMs: 300 } });
    const s = connect(Number(new URL(t.url).port), '127.0.0.1');
    await once(s, 'connect');
    s.write('POST /v1/logs HTTP/1.1\r\nhost: x\r\n');
    s.resume();
    await once(s, 'close');
  });

  it('anypick.port as a decimal string (OTEL_RESOURCE_ATTRIBUTES) is a port', async () => {
    t = await startTestReceiver();
    const addr = '{ "key": "anypick.address", "value": { "stringValue": "2001:db8:ae21:7700::1" } }';
    const body = ex('presence-up').replace(addr, `${addr}, { "key": "anypick.port", "value": { "stringValue": "8000" } }`);
    const r = await post(`${t.url}/v1/logs`, body, jsonHeaders());
    expect(r.json()).to.deep.equal({});
    expect(dc1()!.port).to.equal(8000);
    const bad = await post(`${t.url}/v1/logs`, body.replace('"8000"', '"80x"'), jsonHeaders());
    expect(bad.json().partialSuccess.errorMessage).to.match(/anypick.port must be an integer/);
  });

  it('an address with a zone id is rejected', async () => {
    t = await startTestReceiver();
    const r = await post(`${t.url}/v1/logs`, ex('presence-up').replace('2001:db8:ae21:7700::1', 'fe80::66%eth0'), jsonHeaders());
    expect(r.json().partialSuccess.errorMessage).to.match(/has a zone id/);
    expect(dc1()!.present).to.equal(false);
  });

  it('errors with count > total are rejected, not clamped', async () => {
    t = await startTestReceiver();
    const r = await post(`${t.url}/v1/logs`, ex('errors').replace('"12"', '"500"'), jsonHeaders());
    expect(r.json().partialSuccess).to.deep.equal({ rejectedLogRecords: '1', errorMessage: 'errors count is larger than total' });
  });

  describe('time window', () => {
    it('a record from the future (beyond the skew) or older than a lease is rejected with its reason; counted per member', async () => {
      const seen: Array<[string, string, number]> = [];
      t = await startTestReceiver({ leaseMs: 3000 }, { observer: { ingest: () => undefined, refused: () => undefined, timeRejected: (m, why, n) => seen.push([m, why, n]) } });
      let r = await post(`${t.url}/v1/logs`, stamped(Date.now() + 3_600_000), jsonHeaders());
      expect(r.json().partialSuccess.rejectedLogRecords).to.equal('2');
      expect(r.json().partialSuccess.errorMessage).to.match(/^future presence event .*more than 1000 ms ahead/);
      r = await post(`${t.url}/v1/logs`, stamped(Date.now() - 3500), jsonHeaders());
      expect(r.json().partialSuccess.errorMessage).to.match(/^stale presence event .*older than 3000 ms/);
      expect(dc1()!.present).to.equal(false);
      expect(seen).to.deep.equal([['datacenter/my-service/datacenter-1', 'future', 2], ['datacenter/my-service/datacenter-1', 'stale', 2]]);
      r = await post(`${t.url}/v1/logs`, stamped(Date.now() + 500), jsonHeaders());
      expect(r.json()).to.deep.equal({});
      expect(dc1()!.present).to.equal(true);
    });

    it('after leaving, a replayed presence is refused: older record time, or no time within the fence', async () => {
      t = await startTestReceiver();
      const before = Date.now() - 100;
      expect((await post(`${t.url}/v1/logs`, stamped(before), jsonHeaders())).json()).to.deep.equal({});
      expect((await post(`${t.url}/v1/logs`, stamped(Date.now(), 'leaving'), jsonHeaders())).json()).to.deep.equal({});
      expect(dc1()!.present).to.equal(false);
      let r = await post(`${t.url}/v1/logs`, stamped(before), jsonHeaders());
      expect(r.json().partialSuccess.errorMessage).to.match(/older than the member's leaving/);
      r = await post(`${t.url}/v1/logs`, ex('presence-up'), jsonHeaders());
      expect(r.json().partialSuccess.errorMessage).to.match(/without a record time within 60 s of leaving/);
      expect(dc1()!.present).to.equal(false);
      // The member's agent starting again stamps its records: back at once.
      r = await post(`${t.url}/v1/logs`, stamped(Date.now() + 5), jsonHeaders());
      expect(r.json()).to.deep.equal({});
      expect(dc1()!.present).to.equal(true);
    });
  });

  it('rotation: replaceWith swaps the tokens seen by the next request', async () => {
    const tokens = TokenStore.parse(TOKENS_TEXT, 'test');
    t = await startTestReceiver({}, { tokens });
    expect((await post(`${t.url}/v1/logs`, ex('leaving'), jsonHeaders())).status).to.equal(200);
    tokens.replaceWith(TokenStore.parse(`${TOKEN_DC2} datacenter my-service datacenter-1`, 'rotated'));
    expect((await post(`${t.url}/v1/logs`, ex('leaving'), jsonHeaders())).status).to.equal(401);
    expect((await post(`${t.url}/v1/logs`, ex('leaving'), jsonHeaders(TOKEN_DC2))).status).to.equal(200);
  });

  it('defaults are the documented ones', () => {
    expect(DEFAULT_LIMITS).to.include({ maxInFlightPerToken: 4, maxInFlight: 64, headersTimeoutMs: 5000, bodyTimeoutMs: 5000, keepAliveMs: 30_000 });
    expect(DEFAULT_LIMITS.decode).to.deep.equal({ maxResources: 100, maxRecords: 10_000, maxDepth: 400 });
  });
});
