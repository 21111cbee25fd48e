import { expect } from 'chai';
import { once } from 'node:events';
import { connect } from 'node:net';
import { docExamples, jsonHeaders, post, startTestReceiver, TOKEN_DC1, TOKEN_DC2 } from './helpers';
import { DC1_RESOURCE, ProtobufLogsSerializer, ProtobufMetricsSerializer, gaugeBody, gz, logsBody } from './otel-bodies';

const ex = (name: string) => docExamples().get(name)!.body;
const protoHeaders = (token = TOKEN_DC1) => ({ 'content-type': 'application/x-protobuf', authorization: `Bearer ${token}` });

describe('signals/receiver: OTLP/HTTP ingest', function () {
  let t: Awaited<ReturnType<typeof startTestReceiver>>;
  const dc1 = () => t.registry.get('datacenter', 'my-service', 'datacenter-1');
  afterEach(async () => t?.close());

  describe('accepts', () => {
    beforeEach(async () => { t = await startTestReceiver(); });

    it('the documented JSON examples, in order, with their effect on the member', async () => {
      let r = await post(`${t.url}/v1/logs`, ex('presence-up'), jsonHeaders());
      expect(r.status).to.equal(200);
      expect(r.headers.get('content-type')).to.equal('application/json');
      expect(r.json()).to.deep.equal({});
      expect(dc1()).to.include({ present: true, ready: true, address: '2001:db8:ae21:7700::1' });
      const rampFactor = dc1()!.factor;
      r = await post(`${t.url}/v1/metrics`, ex('utilization'), jsonHeaders());
      expect(r.status).to.equal(200);
      expect(dc1()!.factor).to.be.below(rampFactor + 1e-9);
      r = await post(`${t.url}/v1/logs`, ex('errors'), jsonHeaders());
      expect(r.status).to.equal(200);
      r = await post(`${t.url}/v1/logs`, ex('not-ready'), jsonHeaders());
      expect(r.status).to.equal(200);
      expect(dc1()).to.deep.include({ present: true, ready: false, factor: 0 });
      r = await post(`${t.url}/v1/logs`, ex('leaving'), jsonHeaders());
      expect(r.status).to.equal(200);
      expect(dc1()!.present).to.equal(false);
    });

    it('protobuf bodies from the official serializers, answering in protobuf', async () => {
      const body = await logsBody(DC1_RESOURCE, [{ eventName: 'presence', attributes: { state: 'up' } }], 'proto');
      const r = await post(`${t.url}/v1/logs`, body, protoHeaders());
      expect(r.status).to.equal(200);
      expect(r.headers.get('content-type')).to.equal('application/x-protobuf');
      expect(ProtobufLogsSerializer.deserializeResponse(r.body)).to.deep.equal({});
      expect(dc1()!.present).to.equal(true);
      const m = await post(`${t.url}/v1/metrics`, await gaugeBody(DC1_RESOURCE, 'anypick.utilization', 0.5, 'proto'), protoHeaders());
      expect(m.status).to.equal(200);
      expect(ProtobufMetricsSerializer.deserializeResponse(m.body)).to.deep.equal({});
    });

    it('gzip bodies, JSON and protobuf', async () => {
      const j = await post(`${t.url}/v1/logs`, gz(ex('presence-up')), { ...jsonHeaders(), 'content-encoding': 'gzip' });
      expect(j.status).to.equal(200);
      expect(dc1()!.present).to.equal(true);
      const body = gz(await logsBody(DC1_RESOURCE, [{ eventName: 'presence', attributes: { state: 'leaving' } }], 'proto'));
      const p = await post(`${t.url}/v1/logs`, body, { ...protoHeaders(), 'content-encoding': 'gzip' });
      expect(p.status).to.equal(200);
      expect(dc1()!.present).to.equal(false);
    });

    it('the old `event.name` attribute instead of eventName', async () => {
      const body = await logsBody(DC1_RESOURCE, [{ eventName: '', attributes: { 'event.name': 'presence' } }], 'json');
      expect((await post(`${t.url}/v1/logs`, body, jsonHeaders())).status).to.equal(200);
      expect(dc1()!.present).to.equal(true);
    });
  });

  describe('partial success (200 with partialSuccess)', () => {
    beforeEach(async () => { t = await startTestReceiver(); });

    it('rejects an address outside the member block and applies nothing', async () => {
      const body = ex('presence-up').replace('2001:db8:ae21:7700::1', '2001:db8:ffff::1');
      const r = await post(`${t.url}/v1/logs`, body, jsonHeaders());
      expect(r.status).to.equal(200);
      expect(r.json().partialSuccess.rejectedLogRecords).to.equal('2');
      expect(r.json().partialSuccess.errorMessage).to.match(/outside the block 2001:db8:ae21:7700::\/56/);
      expect(dc1()).to.deep.equal({ present: false, ready: false, factor: 0 });
    });

    it('takes a port (anypick.port) with the address; rejects one out of range or without an address', async () => {
      const addr = '{ "key": "anypick.address", "value": { "stringValue": "2001:db8:ae21:7700::1" } }';
      const withPort = (port: string, keepAddress = true) => ex('presence-up').replace(addr, `${keepAddress ? `${addr}, ` : ''}{ "key": "anypick.port", "value": { "intValue": "${port}" } }`);
      let r = await post(`${t.url}/v1/logs`, withPort('70000'), jsonHeaders());
      expect(r.json().partialSuccess.errorMessage).to.equal('anypick.port must be an integer 1..65535 (a number or a decimal string)');
      r = await post(`${t.url}/v1/logs`, withPort('8443', false), jsonHeaders());
      expect(r.json().partialSuccess.errorMessage).to.equal('anypick.port needs anypick.address');
      expect(dc1()).to.deep.equal({ present: false, ready: false, factor: 0 });
      r = await post(`${t.url}/v1/logs`, withPort('8443'), jsonHeaders());
      expect(r.json()).to.deep.equal({});
      expect(dc1()).to.include({ present: true, address: '2001:db8:ae21:7700::1', port: 8443 });
      // A later presence with the address alone reports no port any more.
      r = await post(`${t.url}/v1/logs`, ex('presence-up'), jsonHeaders());
      expect(r.status).to.equal(200);
      expect(dc1()).to.include({ present: true, address: '2001:db8:ae21:7700::1' }).and.not.have.property('port');
    });

    it('counts bad records, keeps the good ones, answers in protobuf for protobuf', async () => {
      const body = await logsBody(DC1_RESOURCE, [
        { eventName: 'presence', attributes: { state: 'up' } },
        { eventName: 'readiness', attributes: { ready: 2 } },
        { eventName: 'presence', attributes: { state: 'sideways' } },
        { eventName: 'something.else', attributes: {} },
      ], 'proto');
      const r = await post(`${t.url}/v1/logs`, body, protoHeaders());
      expect(r.status).to.equal(200);
      const resp = ProtobufLogsSerializer.deserializeResponse(r.body) as any;
      expect(Number(resp.partialSuccess.rejectedLogRecords)).to.equal(2);
      expect(resp.partialSuccess.errorMessage).to.match(/readiness needs/);
      expect(dc1()!.present).to.equal(true);
    });

    it('rejects utilization outside 0..1 and stale records', async () => {
      const r = await post(`${t.url}/v1/metrics`, await gaugeBody(DC1_RESOURCE, 'anypick.utilization', 1.5, 'json'), jsonHeaders());
      expect(r.json().partialSuccess.rejectedDataPoints).to.equal('1');
      const stale = ex('leaving').replace('"eventName": "presence"', '"eventName": "presence", "timeUnixNano": "1000000000"');
      const s = await post(`${t.url}/v1/logs`, stale, jsonHeaders());
      expect(s.json().partialSuccess.errorMessage).to.match(/stale/);
    });

    it('rejects a resource without anypick identity', async () => {
      const body = await logsBody({ 'service.name': 'x' }, [{ eventName: 'presence', attributes: {} }], 'json');
      const r = await post(`${t.url}/v1/logs`, body, jsonHeaders());
      expect(r.json().partialSuccess.errorMessage).to.match(/anypick.tier/);
    });
  });

  describe('refuses', () => {
    it('400 for malformed JSON and protobuf, with a Status body in the request encoding', async () => {
      t = await startTestReceiver();
      const j = await post(`${t.url}/v1/logs`, '{"resourceLogs": [', jsonHeaders());
      expect(j.status).to.equal(400);
      expect(j.json()).to.have.property('code', 3);
      expect(j.json().message).to.match(/^json:/);
      const p = await post(`${t.url}/v1/metrics`, Uint8Array.from([0x0a, 0x05, 0x0a]), protoHeaders());
      expect(p.status).to.equal(400);
      expect(p.headers.get('content-type')).to.equal('application/x-protobuf');
      expect(p.body.subarray(0, 2)).to.deep.equal(Buffer.from([0x08, 0x03]));
      const g = await post(`${t.url}/v1/logs`, Buffer.from('not gzip'), { ...jsonHeaders(), 'content-encoding': 'gzip' });
      expect(g.status).to.equal(400);
    });

    it('401 without a token and with a forged one, changing nothing', async () => {
      t = await startTestReceiver();
      // graceMs 0: the end of the grace period bumps the version once; wait for it, not a clock.
      for (let i = 0; i < 200 && t.registry.version === 0; i++) await new Promise((r) => setTimeout(r, 5));
      const v = t.registry.version;
      expect(v, 'grace period over').to.be.greaterThan(0);
      const none = await post(`${t.url}/v1/logs`, ex('presence-up'), { 'content-type': 'application/json' });
      expect(none.status).to.equal(401);
      expect(none.headers.get('www-authenticate')).to.match(/^Bearer/);
      const forged = await post(`${t.url}/v1/logs`, ex('presence-up'), jsonHeaders('tok-datacenter-1-aaaaaaaaaaab'));
      expect(forged.status).to.equal(401);
      expect(forged.json().code).to.equal(16);
      expect(t.registry.version).to.equal(v);
      expect(dc1()!.present).to.equal(false);
    });

    it('403 when a token reports for another member', async () => {
      t = await startTestReceiver();
      const r = await post(`${t.url}/v1/logs`, ex('presence-up'), jsonHeaders(TOKEN_DC2));
      expect(r.status).to.equal(403);
      expect(r.json().message).to.match(/bound to datacenter\/my-service\/datacenter-2/);
      expect(dc1()).to.deep.equal({ present: false, ready: false, factor: 0 });
    });

    it('413 over the body limit, compressed or decompressed', async () => {
      t = await startTestReceiver({}, { limits: { maxBodyBytes: 200 } });
      const r = await post(`${t.url}/v1/logs`, ex('presence-up'), jsonHeaders());
      expect(r.status).to.equal(413);
      const bomb = gz(' '.repeat(100_000));
      expect(bomb.length).to.be.below(200);
      const z = await post(`${t.url}/v1/logs`, bomb, { ...jsonHeaders(), 'content-encoding': 'gzip' });
      expect(z.status).to.equal(413);
    });

    it('415 for other content types and encodings', async () => {
      t = await startTestReceiver();
      expect((await post(`${t.url}/v1/logs`, 'x', { ...jsonHeaders(), 'content-type': 'text/plain' })).status).to.equal(415);
      expect((await post(`${t.url}/v1/logs`, 'x', { ...jsonHeaders(), 'content-encoding': 'br' })).status).to.equal(415);
    });

    it('429 with Retry-After over the per-token rate, other tokens unaffected', async () => {
      t = await startTestReceiver({}, { limits: { ratePerToken: 0.5, burstPerToken: 1 } });
      expect((await post(`${t.url}/v1/logs`, ex('leaving'), jsonHeaders())).status).to.equal(200);
      const r = await post(`${t.url}/v1/logs`, ex('leaving'), jsonHeaders());
      expect(r.status).to.equal(429);
      expect(Number(r.headers.get('retry-after'))).to.be.at.least(1);
      const other = ex('leaving').replace('datacenter-1', 'datacenter-2');
      expect((await post(`${t.url}/v1/logs`, other, jsonHeaders(TOKEN_DC2))).status).to.equal(200);
    });

    it('429 when the token has its requests in flight, 503 when all slots are taken', async () => {
      t = await startTestReceiver({}, { limits: { maxInFlightPerToken: 1, maxInFlight: 1 } });
      // A body that never completes holds datacenter-1's only slot (and the only slot in all).
      const slow = connect(Number(new URL(t.url).port), '127.0.0.1');
      await once(slow, 'connect');
      slow.write(`POST /v1/logs HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nauthorization: Bearer ${TOKEN_DC1}\r\ncontent-length: 100\r\n\r\n{`);
      try {
        await new Promise((r) => setTimeout(r, 100));
        const r = await post(`${t.url}/v1/logs`, ex('leaving'), jsonHeaders());
        expect(r.status).to.equal(429);
        expect(r.json().message).to.match(/requests of this token in flight/);
        const other = await post(`${t.url}/v1/logs`, ex('leaving').replace('datacenter-1', 'datacenter-2'), jsonHeaders(TOKEN_DC2));
        expect(other.status).to.equal(503);
        expect(other.headers.get('retry-after')).to.equal('1');
      } finally {
        slow.destroy();
      }
    });

    it('404 for other paths and 405 for other methods', async () => {
      t = await startTestReceiver();
      expect((await post(`${t.url}/v1/traces`, '{}', jsonHeaders())).status).to.equal(404);
      const g = await fetch(`${t.url}/v1/logs`, { headers: jsonHeaders() });
      expect(g.status).to.equal(405);
    });
  });
});
