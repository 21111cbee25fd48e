import { ProtoReader } from './proto-reader';
import { DecodeBudget, nanosToMs } from './types';
import type {
  AttrValue, Attributes, OtlpHistogramPoint, OtlpLogRecord, OtlpLogsRequest, OtlpMetric, OtlpMetricsRequest, OtlpNumberPoint,
  OtlpResourceLogs, OtlpResourceMetrics,
} from './types';

/*
 * Field numbers, from opentelemetry-proto v1:
 *   common.proto   AnyValue{string_value=1 bool_value=2 int_value=3 double_value=4 array_value=5
 *                  kvlist_value=6 bytes_value=7} ArrayValue{values=1} KeyValueList{values=1}
 *                  KeyValue{key=1 value=2}
 *   resource.proto Resource{attributes=1}
 *   logs.proto     ExportLogsServiceRequest{resource_logs=1} ResourceLogs{resource=1 scope_logs=2}
 *                  ScopeLogs{log_records=2} LogRecord{time_unix_nano=1 (fixed64)
 *                  severity_number=2 body=5 attributes=6 observed_time_unix_nano=11 (fixed64)
 *                  event_name=12}
 *   metrics.proto  ExportMetricsServiceRequest{resource_metrics=1} ResourceMetrics{resource=1
 *                  scope_metrics=2} ScopeMetrics{metrics=2} Metric{name=1 unit=3 gauge=5 sum=7
 *                  histogram=9 exponential_histogram=10 summary=11} Gauge/Sum{data_points=1}
 *                  NumberDataPoint{time_unix_nano=3 (fixed64) as_double=4 as_int=6 (sfixed64)
 *                  attributes=7}
 */

function anyValue(r: ProtoReader, b: DecodeBudget, depth: number): AttrValue {
  b.depth(depth);
  let v: AttrValue = null;
  while (r.more()) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1: r.expect(wire, 2, 'AnyValue.string_value'); v = r.string(); break;
      case 2: r.expect(wire, 0, 'AnyValue.bool_value'); v = r.bool(); break;
      case 3: r.expect(wire, 0, 'AnyValue.int_value'); v = r.int(); break;
      case 4: r.expect(wire, 1, 'AnyValue.double_value'); v = r.double(); break;
      case 5: {
        r.expect(wire, 2, 'AnyValue.array_value');
        const arr: AttrValue[] = [];
        const s = r.sub();
        while (s.more()) {
          const t = s.tag();
          if (t.field === 1) { s.expect(t.wire, 2, 'ArrayValue.values'); arr.push(anyValue(s.sub(), b, depth + 1)); } else s.skip(t.wire);
        }
        v = arr;
        break;
      }
      case 6: {
        r.expect(wire, 2, 'AnyValue.kvlist_value');
        const s = r.sub();
        const obj: Attributes = {};
        while (s.more()) {
          const t = s.tag();
          if (t.field === 1) { s.expect(t.wire, 2, 'KeyValueList.values'); keyValue(s.sub(), obj, b, depth + 1); } else s.skip(t.wire);
        }
        v = obj;
        break;
      }
      case 7: r.expect(wire, 2, 'AnyValue.bytes_value'); v = r.bytes(); break;
      default: r.skip(wire);
    }
  }
  return v;
}

function keyValue(r: ProtoReader, into: Attributes, b: DecodeBudget, depth = 0): void {
  let key = '';
  let value: AttrValue = null;
  while (r.more()) {
    const { field, wire } = r.tag();
    if (field === 1) { r.expect(wire, 2, 'KeyValue.key'); key = r.string(); }
    else if (field === 2) { r.expect(wire, 2, 'KeyValue.value'); value = anyValue(r.sub(), b, depth); }
    else r.skip(wire);
  }
  into[key] = value;
}

function resource(r: ProtoReader, b: DecodeBudget): Attributes {
  const attrs: Attributes = {};
  while (r.more()) {
    const { field, wire } = r.tag();
    if (field === 1) { r.expect(wire, 2, 'Resource.attributes'); keyValue(r.sub(), attrs, b); } else r.skip(wire);
  }
  return attrs;
}

function logRecord(r: ProtoReader, b: DecodeBudget): OtlpLogRecord {
  const rec: OtlpLogRecord = { timeUnixMs: 0, observedTimeUnixMs: 0, severityNumber: 0, eventName: '', body: null, attributes: {} };
  while (r.more()) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1: r.expect(wire, 1, 'LogRecord.time_unix_nano'); rec.timeUnixMs = nanosToMs(r.fixed64()); break;
      case 2: r.expect(wire, 0, 'LogRecord.severity_number'); rec.severityNumber = r.int(); break;
      case 5: r.expect(wire, 2, 'LogRecord.body'); rec.body = anyValue(r.sub(), b, 0); break;
      case 6: r.expect(wire, 2, 'LogRecord.attributes'); keyValue(r.sub(), rec.attributes, b); break;
      case 11: r.expect(wire, 1, 'LogRecord.observed_time_unix_nano'); rec.observedTimeUnixMs = nanosToMs(r.fixed64()); break;
      case 12: r.expect(wire, 2, 'LogRecord.event_name'); rec.eventName = r.string(); break;
      default: r.skip(wire);
    }
  }
  return rec;
}

/** Iterates the length-delimited fields numbered `want` of a message. */
function* subs(r: ProtoReader, want: number, what: string): Generator<ProtoReader> {
  while (r.more()) {
    const { field, wire } = r.tag();
    if (field === want) { r.expect(wire, 2, what); yield r.sub(); } else r.skip(wire);
  }
}

/**
 * Decodes an `ExportLogsServiceRequest` protobuf body; throws OtlpDecodeError when malformed,
 * OtlpLimitError as soon as it holds more resources or records than `budget` allows.
 */
export function decodeLogsProto(body: Uint8Array, budget = new DecodeBudget()): OtlpLogsRequest {
  const out: OtlpLogsRequest = { resourceLogs: [] };
  for (const rl of subs(new ProtoReader(body), 1, 'ExportLogsServiceRequest.resource_logs')) {
    budget.resource();
    const entry: OtlpResourceLogs = { resource: {}, logRecords: [] };
    while (rl.more()) {
      const { field, wire } = rl.tag();
      if (field === 1) { rl.expect(wire, 2, 'ResourceLogs.resource'); entry.resource = resource(rl.sub(), budget); }
      else if (field === 2) {
        rl.expect(wire, 2, 'ResourceLogs.scope_logs');
        for (const lr of subs(rl.sub(), 2, 'ScopeLogs.log_records')) {
          budget.record();
          entry.logRecords.push(logRecord(lr, budget));
        }
      } else rl.skip(wire);
    }
    out.resourceLogs.push(entry);
  }
  return out;
}

function numberPoint(r: ProtoReader, b: DecodeBudget): OtlpNumberPoint {
  const p: OtlpNumberPoint = { timeUnixMs: 0, value: NaN, attributes: {} };
  while (r.more()) {
    const { field, wire } = r.tag();
    switch (field) {
      case 3: r.expect(wire, 1, 'NumberDataPoint.time_unix_nano'); p.timeUnixMs = nanosToMs(r.fixed64()); break;
      case 4: r.expect(wire, 1, 'NumberDataPoint.as_double'); p.value = r.double(); break;
      case 6: r.expect(wire, 1, 'NumberDataPoint.as_int'); p.value = r.sfixed64(); break;
      case 7: r.expect(wire, 2, 'NumberDataPoint.attributes'); keyValue(r.sub(), p.attributes, b); break;
      default: r.skip(wire);
    }
  }
  return p;
}

/** A repeated fixed64 or double field: packed (wire type 2) or one element (wire type 1). */
function repeated64(r: ProtoReader, wire: number, read: (x: ProtoReader) => number, out: number[], what: string): void {
  if (wire === 1) { out.push(read(r)); return; }
  r.expect(wire, 2, what);
  const packed = r.sub();
  while (packed.more()) {
    // At most one element per 8 bytes of a body within the receiver's size limit.
    out.push(read(packed));
  }
}

/**
 * HistogramDataPoint{start_time_unix_nano=2 time_unix_nano=3 count=4 (fixed64) sum=5 (double)
 * bucket_counts=6 (repeated fixed64) explicit_bounds=7 (repeated double) attributes=9 min=11 max=12}.
 */
function histogramPoint(r: ProtoReader, b: DecodeBudget): OtlpHistogramPoint {
  const p: OtlpHistogramPoint = { timeUnixMs: 0, attributes: {}, count: 0, sum: NaN, bucketCounts: [], explicitBounds: [], min: NaN, max: NaN };
  while (r.more()) {
    const { field, wire } = r.tag();
    switch (field) {
      case 3: r.expect(wire, 1, 'HistogramDataPoint.time_unix_nano'); p.timeUnixMs = nanosToMs(r.fixed64()); break;
      case 4: r.expect(wire, 1, 'HistogramDataPoint.count'); p.count = Number(r.fixed64()); break;
      case 5: r.expect(wire, 1, 'HistogramDataPoint.sum'); p.sum = r.double(); break;
      case 6: repeated64(r, wire, (x) => Number(x.fixed64()), p.bucketCounts, 'HistogramDataPoint.bucket_counts'); break;
      case 7: repeated64(r, wire, (x) => x.double(), p.explicitBounds, 'HistogramDataPoint.explicit_bounds'); break;
      case 9: r.expect(wire, 2, 'HistogramDataPoint.attributes'); keyValue(r.sub(), p.attributes, b); break;
      case 11: r.expect(wire, 1, 'HistogramDataPoint.min'); p.min = r.double(); break;
      case 12: r.expect(wire, 1, 'HistogramDataPoint.max'); p.max = r.double(); break;
      default: r.skip(wire);
    }
  }
  return p;
}

const KINDS: Record<number, OtlpMetric['kind']> = { 5: 'gauge', 7: 'sum', 9: 'histogram', 10: 'exponential_histogram', 11: 'summary' };

function metric(r: ProtoReader, b: DecodeBudget): OtlpMetric {
  const m: OtlpMetric = { name: '', unit: '', kind: 'none', points: [], histogram: [], temporality: 0, pointCount: 0 };
  while (r.more()) {
    const { field, wire } = r.tag();
    const kind = KINDS[field];
    if (field === 1) { r.expect(wire, 2, 'Metric.name'); m.name = r.string(); }
    else if (field === 3) { r.expect(wire, 2, 'Metric.unit'); m.unit = r.string(); }
    else if (kind) {
      r.expect(wire, 2, `Metric.${kind}`);
      m.kind = kind;
      // Every data kind keeps its data points in field 1; Sum, Histogram and ExponentialHistogram
      // their aggregation_temporality in field 2 (Sum and Gauge differ past that).
      const data = r.sub();
      while (data.more()) {
        const t = data.tag();
        if (t.field === 1) {
          data.expect(t.wire, 2, `${kind}.data_points`);
          const dp = data.sub();
          b.record();
          m.pointCount++;
          if (kind === 'gauge' || kind === 'sum') m.points.push(numberPoint(dp, b));
          else if (kind === 'histogram') m.histogram.push(histogramPoint(dp, b));
        } else if (t.field === 2 && t.wire === 0 && kind !== 'gauge' && kind !== 'summary') m.temporality = data.int();
        else data.skip(t.wire);
      }
    } else r.skip(wire);
  }
  return m;
}

/** Decodes an `ExportMetricsServiceRequest` protobuf body; throws like decodeLogsProto. */
export function decodeMetricsProto(body: Uint8Array, budget = new DecodeBudget()): OtlpMetricsRequest {
  const out: OtlpMetricsRequest = { resourceMetrics: [] };
  for (const rm of subs(new ProtoReader(body), 1, 'ExportMetricsServiceRequest.resource_metrics')) {
    budget.resource();
    const entry: OtlpResourceMetrics = { resource: {}, metrics: [] };
    while (rm.more()) {
      const { field, wire } = rm.tag();
      if (field === 1) { rm.expect(wire, 2, 'ResourceMetrics.resource'); entry.resource = resource(rm.sub(), budget); }
      else if (field === 2) {
        rm.expect(wire, 2, 'ResourceMetrics.scope_metrics');
        for (const mr of subs(rm.sub(), 2, 'ScopeMetrics.metrics')) entry.metrics.push(metric(mr, budget));
      } else rm.skip(wire);
    }
    out.resourceMetrics.push(entry);
  }
  return out;
}
