/**
 * The few protobuf messages anypick writes: OTLP export responses (with `partial_success`) and
 * `google.rpc.Status` for errors (OTLP/HTTP spec, "Failures").
 */

function varint(n: bigint): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(64, n);
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

function tag(field: number, wire: number): number[] {
  return varint(BigInt((field << 3) | wire));
}

function lengthDelimited(field: number, bytes: Uint8Array | number[]): number[] {
  return [...tag(field, 2), ...varint(BigInt(bytes.length)), ...bytes];
}

/**
 * `ExportLogsServiceResponse` / `ExportMetricsServiceResponse`: field 1 `partial_success`
 * { rejected (int64) = 1, error_message = 2 }; empty when nothing was rejected.
 */
export function encodeExportResponse(rejected: number, errorMessage: string): Uint8Array {
  if (rejected === 0 && errorMessage === '') return new Uint8Array(0);
  const inner: number[] = [];
  if (rejected !== 0) inner.push(...tag(1, 0), ...varint(BigInt(rejected)));
  if (errorMessage !== '') inner.push(...lengthDelimited(2, Buffer.from(errorMessage, 'utf8')));
  return Uint8Array.from(lengthDelimited(1, inner));
}

/** `google.rpc.Status` { code (int32) = 1, message = 2 }. */
export function encodeStatus(code: number, message: string): Uint8Array {
  const out: number[] = [];
  if (code !== 0) out.push(...tag(1, 0), ...varint(BigInt(code)));
  if (message !== '') out.push(...lengthDelimited(2, Buffer.from(message, 'utf8')));
  return Uint8Array.from(out);
}
