import { DecodeBudget, OtlpDecodeError, nanosToMs } from './types';
import type {
  AttrValue, Attributes, OtlpHistogramPoint, OtlpLogRecord, OtlpLogsRequest, OtlpMetric, OtlpMetricsRequest, OtlpNumberPoint,
} from './types';

/*
 * OTLP/JSON (OTLP spec, "JSON Protobuf Encoding"): the proto3 JSON mapping with lowerCamelCase
 * keys, int64 as decimal strings (numbers accepted too), enums as integers. Like every proto3
 * JSON parser we also accept the original snake_case names, and ignore unknown keys.
 */

type Obj = Record<string, unknown>;

function field(o: Obj, camel: string, snake: string): unknown {
  return o[camel] !== undefined ? o[camel] : o[snake];
}

function obj(v: unknown, what: string): Obj {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new OtlpDecodeError(`json: ${what} must be an object`);
  return v as Obj;
}

function arr(v: unknown, what: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new OtlpDecodeError(`json: ${what} must be an array`);
  return v;
}

function str(v: unknown, what: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new OtlpDecodeError(`json: ${what} must be a string`);
  return v;
}

/** int64/uint64/int32: a JSON number or a decimal string. */
function int64(v: unknown, what: string): bigint {
  if (v === undefined || v === null) return 0n;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  throw new OtlpDecodeError(`json: ${what} must be an integer (number or decimal string)`);
}

function double(v: unknown, what: string): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  throw new OtlpDecodeError(`json: ${what} must be a number`);
}

function anyValue(v: unknown, what: string, b: DecodeBudget, depth: number): AttrValue {
  b.depth(depth);
  const o = obj(v, what);
  if (o.stringValue !== undefined || o.string_value !== undefined) return str(field(o, 'stringValue', 'string_value'), what);
  if (o.boolValue !== undefined || o.bool_value !== undefined) {
    const b = field(o, 'boolValue', 'bool_value');
    if (typeof b !== 'boolean') throw new OtlpDecodeError(`json: ${what}.boolValue must be a boolean`);
    return b;
  }
  if (o.intValue !== undefined || o.int_value !== undefined) return Number(int64(field(o, 'intValue', 'int_value'), what));
  if (o.doubleValue !== undefined || o.double_value !== undefined) return double(field(o, 'doubleValue', 'double_value'), what);
  if (o.arrayValue !== undefined || o.array_value !== undefined) {
    const a = obj(field(o, 'arrayValue', 'array_value'), what);
    return arr(a.values, `${what}.arrayValue.values`).map((x, i) => anyValue(x, `${what}[${i}]`, b, depth + 1));
  }
  if (o.kvlistValue !== undefined || o.kvlist_value !== undefined) {
    const kv = obj(field(o, 'kvlistValue', 'kvlist_value'), what);
    return attributes(kv.values, `${what}.kvlistValue`, b, depth + 1);
  }
  if (o.bytesValue !== undefined || o.bytes_value !== undefined) {
    return Uint8Array.from(Buffer.from(str(field(o, 'bytesValue', 'bytes_value'), what), 'base64'));
  }
  return null;
}

function attributes(v: unknown, what: string, b: DecodeBudget, depth = 0): Attributes {
  const out: Attributes = {};
  arr(v, what).forEach((kv, i) => {
    const o = obj(kv, `${what}[${i}]`);
    out[str(o.key, `${what}[${i}].key`)] = anyValue(o.value, `${what}[${i}].value`, b, depth);
  });
  return out;
}

function parse(body: Uint8Array): Obj {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new OtlpDecodeError('json: body is not valid UTF-8');
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new OtlpDecodeError(`json: ${(err as Error).message}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new OtlpDecodeError('json: body must be a JSON object');
  return v as Obj;
}

/** Checks an array's length against the budget before any of it is decoded. */
function counted<T>(a: T[], take: (n: number) => void): T[] {
  take(a.length);
  return a;
}

/**
 * Decodes an OTLP/JSON `ExportLogsServiceRequest`; throws OtlpDecodeError when malformed,
 * OtlpLimitError when it holds more resources or records than `budget` allows.
 */
export function decodeLogsJson(body: Uint8Array, budget = new DecodeBudget()): OtlpLogsRequest {
  const root = parse(body);
  const b = budget;
  return {
    resourceLogs: counted(arr(field(root, 'resourceLogs', 'resource_logs'), 'resourceLogs'), (n) => { for (let i = 0; i < n; i++) b.resource(); }).map((rl, i) => {
      const w = `resourceLogs[${i}]`;
      const o = obj(rl, w);
      const res = obj(o.resource, `${w}.resource`);
      const logRecords: OtlpLogRecord[] = [];
      arr(field(o, 'scopeLogs', 'scope_logs'), `${w}.scopeLogs`).forEach((sl, j) => {
        const so = obj(sl, `${w}.scopeLogs[${j}]`);
        counted(arr(field(so, 'logRecords', 'log_records'), `${w}.scopeLogs[${j}].logRecords`), (n) => b.record(n)).forEach((lr, k) => {
          const lw = `${w}.scopeLogs[${j}].logRecords[${k}]`;
          const r = obj(lr, lw);
          logRecords.push({
            timeUnixMs: nanosToMs(int64(field(r, 'timeUnixNano', 'time_unix_nano'), `${lw}.timeUnixNano`)),
            observedTimeUnixMs: nanosToMs(int64(field(r, 'observedTimeUnixNano', 'observed_time_unix_nano'), `${lw}.observedTimeUnixNano`)),
            severityNumber: Number(int64(field(r, 'severityNumber', 'severity_number'), `${lw}.severityNumber`)),
            eventName: str(field(r, 'eventName', 'event_name'), `${lw}.eventName`),
            body: r.body === undefined ? null : anyValue(r.body, `${lw}.body`, b, 0),
            attributes: attributes(r.attributes, `${lw}.attributes`, b),
          });
        });
      });
      return { resource: attributes(res.attributes, `${w}.resource.attributes`, b), logRecords };
    }),
  };
}

const KINDS = [
  ['gauge', 'gauge', 'gauge'], ['sum', 'sum', 'sum'], ['histogram', 'histogram', 'histogram'],
  ['exponentialHistogram', 'exponential_histogram', 'exponential_histogram'], ['summary', 'summary', 'summary'],
] as const;

function metric(v: unknown, w: string, b: DecodeBudget): OtlpMetric {
  const o = obj(v, w);
  const m: OtlpMetric = { name: str(o.name, `${w}.name`), unit: str(o.unit, `${w}.unit`), kind: 'none', points: [], histogram: [], temporality: 0, pointCount: 0 };
  for (const [camel, snake, kind] of KINDS) {
    const data = field(o, camel, snake);
    if (data === undefined) continue;
    m.kind = kind;
    const d = obj(data, `${w}.${camel}`);
    const dps = arr(field(d, 'dataPoints', 'data_points'), `${w}.${camel}.dataPoints`);
    b.record(dps.length);
    m.pointCount += dps.length;
    m.temporality = temporality(field(d, 'aggregationTemporality', 'aggregation_temporality'), `${w}.${camel}.aggregationTemporality`);
    if (kind === 'histogram') {
      dps.forEach((dp, i) => m.histogram.push(histogramPoint(dp, `${w}.${camel}.dataPoints[${i}]`, b)));
      continue;
    }
    if (kind !== 'gauge' && kind !== 'sum') continue;
    dps.forEach((dp, i) => {
      const pw = `${w}.${camel}.dataPoints[${i}]`;
      const p = obj(dp, pw);
      const asDouble = field(p, 'asDouble', 'as_double');
      const asInt = field(p, 'asInt', 'as_int');
      const point: OtlpNumberPoint = {
        timeUnixMs: nanosToMs(int64(field(p, 'timeUnixNano', 'time_unix_nano'), `${pw}.timeUnixNano`)),
        value: asDouble !== undefined ? double(asDouble, `${pw}.asDouble`) : asInt !== undefined ? Number(int64(asInt, `${pw}.asInt`)) : NaN,
        attributes: attributes(p.attributes, `${pw}.attributes`, b),
      };
      m.points.push(point);
    });
  }
  return m;
}

const TEMPORALITIES: Record<string, number> = { AGGREGATION_TEMPORALITY_UNSPECIFIED: 0, AGGREGATION_TEMPORALITY_DELTA: 1, AGGREGATION_TEMPORALITY_CUMULATIVE: 2 };

/** ProtoJSON enums are numbers or their names. */
function temporality(v: unknown, w: string): number {
  if (v === undefined) return 0;
  if (typeof v === 'string' && v in TEMPORALITIES) return TEMPORALITIES[v];
  return Number(int64(v, w));
}

function optDouble(v: unknown, w: string): number {
  return v === undefined ? NaN : double(v, w);
}

function histogramPoint(v: unknown, pw: string, b: DecodeBudget): OtlpHistogramPoint {
  const p = obj(v, pw);
  const counts = field(p, 'bucketCounts', 'bucket_counts');
  const bounds = field(p, 'explicitBounds', 'explicit_bounds');
  return {
    timeUnixMs: nanosToMs(int64(field(p, 'timeUnixNano', 'time_unix_nano'), `${pw}.timeUnixNano`)),
    attributes: attributes(p.attributes, `${pw}.attributes`, b),
    count: Number(int64(p.count, `${pw}.count`)),
    sum: optDouble(p.sum, `${pw}.sum`),
    bucketCounts: counts === undefined ? [] : arr(counts, `${pw}.bucketCounts`).map((c, i) => Number(int64(c, `${pw}.bucketCounts[${i}]`))),
    explicitBounds: bounds === undefined ? [] : arr(bounds, `${pw}.explicitBounds`).map((x, i) => double(x, `${pw}.explicitBounds[${i}]`)),
    min: optDouble(p.min, `${pw}.min`),
    max: optDouble(p.max, `${pw}.max`),
  };
}

/** Decodes an OTLP/JSON `ExportMetricsServiceRequest`; throws like decodeLogsJson. */
export function decodeMetricsJson(body: Uint8Array, budget = new DecodeBudget()): OtlpMetricsRequest {
  const root = parse(body);
  const b = budget;
  return {
    resourceMetrics: counted(arr(field(root, 'resourceMetrics', 'resource_metrics'), 'resourceMetrics'), (n) => { for (let i = 0; i < n; i++) b.resource(); }).map((rm, i) => {
      const w = `resourceMetrics[${i}]`;
      const o = obj(rm, w);
      const res = obj(o.resource, `${w}.resource`);
      const metrics: OtlpMetric[] = [];
      arr(field(o, 'scopeMetrics', 'scope_metrics'), `${w}.scopeMetrics`).forEach((sm, j) => {
        const so = obj(sm, `${w}.scopeMetrics[${j}]`);
        arr(so.metrics, `${w}.scopeMetrics[${j}].metrics`).forEach((m, k) => metrics.push(metric(m, `${w}.scopeMetrics[${j}].metrics[${k}]`, b)));
      });
      return { resource: attributes(res.attributes, `${w}.resource.attributes`, b), metrics };
    }),
  };
}
