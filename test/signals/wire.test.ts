import { expect } from 'chai';
import { decodeLogsJson, decodeMetricsJson } from '../../src/signals/wire/otlp-json';
import { decodeLogsProto, decodeMetricsProto } from '../../src/signals/wire/otlp-proto';
import { encodeExportResponse, encodeStatus } from '../../src/signals/wire/proto-writer';
import { OtlpDecodeError } from '../../src/signals/wire/types';
import { docExamples } from './helpers';
import { DC1_RESOURCE, ProtobufLogsSerializer, gaugeBody, logsBody } from './otel-bodies';

const enc = (s: string) => Buffer.from(s);

describe('signals/wire: OTLP decoding', () => {
  it('finds the examples in docs/signals.md', () => {
    expect([...docExamples().keys()]).to.include.members(['presence-up', 'not-ready', 'errors', 'leaving', 'utilization']);
  });

  it('decodes the documented JSON presence example', () => {
    const req = decodeLogsJson(enc(docExamples().get('presence-up')!.body));
    expect(req.resourceLogs).to.have.length(1);
    expect(req.resourceLogs[0]!.resource['anypick.member']).to.equal('datacenter-1');
    const [p, r] = req.resourceLogs[0]!.logRecords;
    expect(p!.eventName).to.equal('presence');
    expect(p!.severityNumber).to.equal(9);
    expect(r!.attributes).to.deep.equal({ 'capacity.ready': 30, 'capacity.total': 40 });
  });

  it('decodes the documented JSON utilization example', () => {
    const req = decodeMetricsJson(enc(docExamples().get('utilization')!.body));
    const m = req.resourceMetrics[0]!.metrics[0]!;
    expect(m).to.include({ name: 'anypick.utilization', kind: 'gauge', pointCount: 1 });
    expect(m.points[0]!.value).to.equal(0.3);
  });

  it('accepts snake_case names and int64 as numbers (proto3 JSON parsers must)', () => {
    const req = decodeLogsJson(enc(JSON.stringify({ resource_logs: [{ scope_logs: [{ log_records: [{ event_name: 'presence', time_unix_nano: 1500000000, attributes: [{ key: 'n', value: { int_value: 7 } }] }] }] }] })));
    const rec = req.resourceLogs[0]!.logRecords[0]!;
    expect(rec.eventName).to.equal('presence');
    expect(rec.timeUnixMs).to.equal(1500);
    expect(rec.attributes.n).to.equal(7);
  });

  it('decodes every AnyValue kind from JSON', () => {
    const body = { resourceLogs: [{ resource: { attributes: [
      { key: 's', value: { stringValue: 'x' } }, { key: 'b', value: { boolValue: true } }, { key: 'i', value: { intValue: '-5' } },
      { key: 'd', value: { doubleValue: 'NaN' } }, { key: 'a', value: { arrayValue: { values: [{ intValue: 1 }] } } },
      { key: 'k', value: { kvlistValue: { values: [{ key: 'z', value: { stringValue: 'y' } }] } } },
      { key: 'y', value: { bytesValue: 'AQI=' } }, { key: 'e', value: {} },
    ] } }] };
    const a = decodeLogsJson(enc(JSON.stringify(body))).resourceLogs[0]!.resource;
    expect(a.s).to.equal('x');
    expect(a.b).to.equal(true);
    expect(a.i).to.equal(-5);
    expect(Number.isNaN(a.d)).to.equal(true);
    expect(a.a).to.deep.equal([1]);
    expect(a.k).to.deep.equal({ z: 'y' });
    expect(Array.from(a.y as Uint8Array)).to.deep.equal([1, 2]);
    expect(a.e).to.equal(null);
  });

  const badJson: Array<[string, string]> = [
    ['not JSON', '{"resourceLogs": ['],
    ['an array at the top', '[]'],
    ['resourceLogs not an array', '{"resourceLogs": {}}'],
    ['a record that is a string', '{"resourceLogs": [{"scopeLogs": [{"logRecords": ["x"]}]}]}'],
    ['int64 with a fraction', '{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"timeUnixNano": "1.5"}]}]}]}'],
    ['boolValue not a boolean', '{"resourceLogs": [{"resource": {"attributes": [{"key": "k", "value": {"boolValue": "yes"}}]}}]}'],
    ['eventName not a string', '{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"eventName": 5}]}]}]}'],
  ];
  for (const [name, body] of badJson) {
    it(`rejects malformed JSON: ${name}`, () => {
      expect(() => decodeLogsJson(enc(body))).to.throw(OtlpDecodeError);
    });
  }
  it('rejects a non-numeric asDouble', () => {
    expect(() => decodeMetricsJson(enc('{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m","gauge":{"dataPoints":[{"asDouble":"x"}]}}]}]}]}'))).to.throw(OtlpDecodeError);
  });

  it('decodes protobuf logs written by the official serializer', async () => {
    const body = await logsBody(DC1_RESOURCE, [
      { eventName: 'presence', attributes: { state: 'up' } },
      { eventName: 'readiness', attributes: { 'capacity.ready': 3, 'capacity.total': 4, ok: true, list: [1, 2] } },
    ], 'proto');
    const req = decodeLogsProto(body);
    expect(req.resourceLogs[0]!.resource).to.include(DC1_RESOURCE);
    const [p, r] = req.resourceLogs[0]!.logRecords;
    expect(p!.eventName).to.equal('presence');
    expect(p!.attributes.state).to.equal('up');
    expect(p!.timeUnixMs).to.be.closeTo(Date.now(), 60_000);
    expect(r!.attributes).to.deep.equal({ 'capacity.ready': 3, 'capacity.total': 4, ok: true, list: [1, 2] });
  });

  it('decodes protobuf metrics written by the official serializer (gauge, double)', async () => {
    const req = decodeMetricsProto(await gaugeBody(DC1_RESOURCE, 'anypick.utilization', 0.25, 'proto'));
    const m = req.resourceMetrics[0]!.metrics.find((x) => x.name === 'anypick.utilization')!;
    expect(m.kind).to.equal('gauge');
    expect(m.points.map((p) => p.value)).to.deep.equal([0.25]);
  });

  it('decodes an int gauge (as_int, sfixed64)', async () => {
    const req = decodeMetricsProto(await gaugeBody(DC1_RESOURCE, 'x', -3, 'proto'));
    expect(req.resourceMetrics[0]!.metrics[0]!.points[0]!.value).to.equal(-3);
  });

  const badProto: Array<[string, number[]]> = [
    ['truncated length', [0x0a, 0x05, 0x0a]],
    ['truncated varint', [0x0a, 0x80]],
    ['field number 0', [0x02, 0x00]],
    ['group wire type', [0x0b]],
    ['resource_logs with wire type 0', [0x08, 0x01]],
    ['invalid UTF-8 in a string', [0x0a, 0x08, 0x0a, 0x06, 0x0a, 0x04, 0x0a, 0x02, 0xff, 0xfe]],
    ['varint longer than 10 bytes', [0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]],
  ];
  for (const [name, bytes] of badProto) {
    it(`rejects malformed protobuf: ${name}`, () => {
      expect(() => decodeLogsProto(Uint8Array.from(bytes))).to.throw(OtlpDecodeError);
    });
  }

  it('skips unknown fields', () => {
    // field 99 (varint) then an empty resource_logs
    expect(decodeLogsProto(Uint8Array.from([0x98, 0x06, 0x01, 0x0a, 0x00])).resourceLogs).to.have.length(1);
  });

  it('writes responses the official deserializer reads', () => {
    expect(ProtobufLogsSerializer.deserializeResponse(encodeExportResponse(0, ''))).to.deep.equal({});
    const r = ProtobufLogsSerializer.deserializeResponse(encodeExportResponse(3, 'bad')) as any;
    expect(Number(r.partialSuccess.rejectedLogRecords)).to.equal(3);
    expect(r.partialSuccess.errorMessage).to.equal('bad');
    expect(Array.from(encodeStatus(3, 'x'))).to.deep.equal([0x08, 0x03, 0x12, 0x01, 0x78]);
  });
});
