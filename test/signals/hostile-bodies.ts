/**
 * Bodies an attacker holding a valid token sends: a small gzip that inflates to ~1 MiB of empty
 * log records, and AnyValues nested very deep. Built byte by byte (the SDK would never send them).
 */
import { gzipSync } from 'node:zlib';

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

function field(num: number, bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from([...varint((num << 3) | 2), ...varint(bytes.length)]), bytes]);
}

function kv(key: string, value: string): Buffer {
  return field(1, Buffer.concat([field(1, Buffer.from(key)), field(2, field(1, Buffer.from(value)))]));
}

/** Resource attributes of `member` (datacenter tier of my-service). */
function resource(member: string): Buffer {
  return field(1, Buffer.concat([kv('anypick.tier', 'datacenter'), kv('anypick.service', 'my-service'), kv('anypick.member', member)]));
}

/**
 * `ExportLogsServiceRequest` protobuf: one resource of `member` with `records` empty LogRecords
 * (2 bytes each), gzipped. 500,000 records are ~1 MB raw and ~1 KB compressed.
 */
export function inflatingGzipLogs(member: string, records = 500_000): Buffer {
  const scope = Buffer.alloc(records * 2);
  for (let i = 0; i < records; i++) scope[i * 2] = 0x12; // ScopeLogs.log_records (field 2), length 0
  const body = field(1, Buffer.concat([resource(member), field(2, scope)]));
  return gzipSync(body, { level: 9 });
}

/** OTLP/JSON logs body whose one record's body is an AnyValue array nested `depth` deep. */
export function deepJsonLogs(member: string, depth: number): string {
  const value = '{"arrayValue":{"values":['.repeat(depth) + ']}}'.repeat(depth);
  return `{"resourceLogs":[{"resource":{"attributes":[{"key":"anypick.tier","value":{"stringValue":"datacenter"}},{"key":"anypick.service","value":{"stringValue":"my-service"}},{"key":"anypick.member","value":{"stringValue":"${member}"}}]},"scopeLogs":[{"logRecords":[{"body":${value}}]}]}]}`;
}

/** The same as protobuf: a LogRecord body (field 5) that is an ArrayValue nested `depth` deep. */
export function deepProtoLogs(member: string, depth: number): Buffer {
  let v: Buffer = Buffer.alloc(0); // innermost AnyValue: empty
  for (let i = 0; i < depth; i++) v = field(5, field(1, v)); // AnyValue.array_value { values: v }
  const record = field(5, v);
  return field(1, Buffer.concat([resource(member), field(2, field(2, record))]));
}
