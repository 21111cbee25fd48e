/**
 * dnstap.Dnstap messages (dnstap.proto, https://dnstap.info): the top-level `Dnstap` (identity
 * 1, version 2, message 14, type 15 = MESSAGE) around one `Message` with the wire-format DNS
 * messages verbatim. anypick writes AUTH_QUERY and AUTH_RESPONSE, the two ends an
 * authoritative server sees, with the fields dnstap.proto recommends for them.
 */
import { ProtobufError, ProtobufWriter, bytesFieldLength, fixed32FieldLength, readFields, varintFieldLength } from './protobuf';

/** dnstap.proto `Message.Type` values anypick emits. */
export const MESSAGE_TYPE = { AUTH_QUERY: 1, AUTH_RESPONSE: 2 } as const;
/** dnstap.proto `SocketFamily`. */
export const SOCKET_FAMILY = { INET: 1, INET6: 2 } as const;
/** dnstap.proto `SocketProtocol` (the ones anypick serves). */
export const SOCKET_PROTOCOL = { UDP: 1, TCP: 2 } as const;

/** `Dnstap.type` MESSAGE. */
const DNSTAP_TYPE_MESSAGE = 1;

// Field numbers of dnstap.proto.
const F_IDENTITY = 1;
const F_VERSION = 2;
const F_MESSAGE = 14;
const F_TYPE = 15;
const M_TYPE = 1;
const M_FAMILY = 2;
const M_PROTOCOL = 3;
const M_QUERY_ADDRESS = 4;
const M_RESPONSE_ADDRESS = 5;
const M_QUERY_PORT = 6;
const M_RESPONSE_PORT = 7;
const M_QUERY_SEC = 8;
const M_QUERY_NSEC = 9;
const M_QUERY_MESSAGE = 10;
const M_RESPONSE_SEC = 12;
const M_RESPONSE_NSEC = 13;
const M_RESPONSE_MESSAGE = 14;

/** A point in time as dnstap carries it: seconds since the epoch and nanoseconds. */
export interface DnstapTime {
  sec: number;
  nsec: number;
}

/** One dnstap `Message` (the fields anypick fills). */
export interface DnstapMessage {
  type: number;
  family: number;
  protocol: number;
  /** 4 octets for INET, 16 for INET6. */
  queryAddress: Uint8Array;
  queryPort: number;
  responseAddress?: Uint8Array;
  responsePort?: number;
  queryTime: DnstapTime;
  /** The wire query (AUTH_QUERY). */
  queryMessage?: Uint8Array;
  responseTime?: DnstapTime;
  /** The wire response (AUTH_RESPONSE). */
  responseMessage?: Uint8Array;
}

/** Who wrote the message: `Dnstap.identity` and `Dnstap.version` (absent when empty). */
export interface DnstapSource {
  identity?: Uint8Array;
  version?: Uint8Array;
}

/** Milliseconds since the epoch (fractional) as seconds and nanoseconds. */
export function dnstapTime(ms: number): DnstapTime {
  const sec = Math.floor(ms / 1000);
  const nsec = Math.min(999_999_999, Math.round((ms - sec * 1000) * 1e6));
  return { sec, nsec };
}

function messageLength(m: DnstapMessage): number {
  let n = varintFieldLength(M_TYPE, m.type) + varintFieldLength(M_FAMILY, m.family) + varintFieldLength(M_PROTOCOL, m.protocol);
  n += bytesFieldLength(M_QUERY_ADDRESS, m.queryAddress.length) + varintFieldLength(M_QUERY_PORT, m.queryPort);
  if (m.responseAddress) n += bytesFieldLength(M_RESPONSE_ADDRESS, m.responseAddress.length);
  if (m.responsePort !== undefined) n += varintFieldLength(M_RESPONSE_PORT, m.responsePort);
  n += varintFieldLength(M_QUERY_SEC, m.queryTime.sec) + fixed32FieldLength(M_QUERY_NSEC);
  if (m.queryMessage) n += bytesFieldLength(M_QUERY_MESSAGE, m.queryMessage.length);
  if (m.responseTime) n += varintFieldLength(M_RESPONSE_SEC, m.responseTime.sec) + fixed32FieldLength(M_RESPONSE_NSEC);
  if (m.responseMessage) n += bytesFieldLength(M_RESPONSE_MESSAGE, m.responseMessage.length);
  return n;
}

/**
 * Encodes a `Dnstap` holding `m`. With `framed`, the result is a Frame Streams data frame: the
 * 4-octet big-endian length, then the message (fstrm.ts), so the sender writes it as is.
 */
export function encodeDnstap(m: DnstapMessage, source: DnstapSource = {}, framed = false): Buffer {
  const inner = messageLength(m);
  let outer = bytesFieldLength(F_MESSAGE, inner) + varintFieldLength(F_TYPE, DNSTAP_TYPE_MESSAGE);
  if (source.identity?.length) outer += bytesFieldLength(F_IDENTITY, source.identity.length);
  if (source.version?.length) outer += bytesFieldLength(F_VERSION, source.version.length);
  const prefix = framed ? 4 : 0;
  const buf = Buffer.allocUnsafe(prefix + outer);
  if (framed) buf.writeUInt32BE(outer, 0);
  const w = new ProtobufWriter(buf, prefix);
  if (source.identity?.length) w.bytes(F_IDENTITY, source.identity);
  if (source.version?.length) w.bytes(F_VERSION, source.version);
  w.begin(F_MESSAGE, inner);
  w.uint(M_TYPE, m.type);
  w.uint(M_FAMILY, m.family);
  w.uint(M_PROTOCOL, m.protocol);
  w.bytes(M_QUERY_ADDRESS, m.queryAddress);
  if (m.responseAddress) w.bytes(M_RESPONSE_ADDRESS, m.responseAddress);
  w.uint(M_QUERY_PORT, m.queryPort);
  if (m.responsePort !== undefined) w.uint(M_RESPONSE_PORT, m.responsePort);
  w.uint(M_QUERY_SEC, m.queryTime.sec);
  w.fixed32(M_QUERY_NSEC, m.queryTime.nsec);
  if (m.queryMessage) w.bytes(M_QUERY_MESSAGE, m.queryMessage);
  if (m.responseTime) {
    w.uint(M_RESPONSE_SEC, m.responseTime.sec);
    w.fixed32(M_RESPONSE_NSEC, m.responseTime.nsec);
  }
  if (m.responseMessage) w.bytes(M_RESPONSE_MESSAGE, m.responseMessage);
  w.uint(F_TYPE, DNSTAP_TYPE_MESSAGE);
  if (w.at !== buf.length) throw new Error(`dnstap encoder: wrote ${w.at} of ${buf.length} octets`);
  return buf;
}

/** A decoded `Dnstap` (decodeDnstap): for tests and tools. */
export interface DecodedDnstap extends DnstapSource {
  type: number;
  message?: DnstapMessage;
}

/** Decodes a `Dnstap` message (without the frame length); ProtobufError on malformed input. */
export function decodeDnstap(buf: Buffer): DecodedDnstap {
  const out: DecodedDnstap = { type: 0 };
  for (const f of readFields(buf)) {
    if (f.field === F_IDENTITY && Buffer.isBuffer(f.value)) out.identity = f.value;
    else if (f.field === F_VERSION && Buffer.isBuffer(f.value)) out.version = f.value;
    else if (f.field === F_TYPE && typeof f.value === 'number') out.type = f.value;
    else if (f.field === F_MESSAGE && Buffer.isBuffer(f.value)) out.message = decodeMessage(f.value);
  }
  if (out.type === 0) throw new ProtobufError('Dnstap.type (required) is missing');
  return out;
}

function decodeMessage(buf: Buffer): DnstapMessage {
  const m: DnstapMessage = { type: 0, family: 0, protocol: 0, queryAddress: new Uint8Array(0), queryPort: 0, queryTime: { sec: 0, nsec: 0 } };
  for (const { field, value } of readFields(buf)) {
    const n = typeof value === 'number' ? value : 0;
    const b = Buffer.isBuffer(value) ? value : undefined;
    if (field === M_TYPE) m.type = n;
    else if (field === M_FAMILY) m.family = n;
    else if (field === M_PROTOCOL) m.protocol = n;
    else if (field === M_QUERY_ADDRESS && b) m.queryAddress = b;
    else if (field === M_RESPONSE_ADDRESS && b) m.responseAddress = b;
    else if (field === M_QUERY_PORT) m.queryPort = n;
    else if (field === M_RESPONSE_PORT) m.responsePort = n;
    else if (field === M_QUERY_SEC) m.queryTime.sec = n;
    else if (field === M_QUERY_NSEC) m.queryTime.nsec = n;
    else if (field === M_QUERY_MESSAGE && b) m.queryMessage = b;
    else if (field === M_RESPONSE_SEC) m.responseTime = { sec: n, nsec: m.responseTime?.nsec ?? 0 };
    else if (field === M_RESPONSE_NSEC) m.responseTime = { sec: m.responseTime?.sec ?? 0, nsec: n };
    else if (field === M_RESPONSE_MESSAGE && b) m.responseMessage = b;
  }
  if (m.type === 0) throw new ProtobufError('Message.type (required) is missing');
  return m;
}
