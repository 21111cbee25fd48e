import { ERR, HEADER_LEN, HEADER_SUB, MAX_MESSAGE_LEN, MSG } from './constants';
import { MessageError } from './errors';
import { Open } from './open';
import { Update } from './update';
import { Notification } from './notification';
import { RouteRefresh } from './route-refresh';
import type { CodecContext } from './attributes';

/** Any decoded BGP message. */
export type Message =
  | { type: 'open'; open: Open }
  | { type: 'update'; update: Update }
  | { type: 'notification'; notification: Notification }
  | { type: 'keepalive' }
  | { type: 'route-refresh'; refresh: RouteRefresh };

const MARKER = Buffer.alloc(16, 0xff);

/** Wraps a body in the 19-octet header (RFC 4271 §4.1). */
export function frame(type: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(HEADER_LEN);
  MARKER.copy(head);
  head.writeUInt16BE(HEADER_LEN + body.length, 16);
  head[18] = type;
  return Buffer.concat([head, body]);
}

/** Encodes a whole message including the header. */
export function encodeMessage(m: Message, ctx: CodecContext = { as4: true }): Buffer {
  switch (m.type) {
    case 'open': return frame(MSG.OPEN, m.open.encode());
    case 'update': return frame(MSG.UPDATE, m.update.encode(ctx));
    case 'notification': return frame(MSG.NOTIFICATION, m.notification.encode());
    case 'keepalive': return frame(MSG.KEEPALIVE);
    case 'route-refresh': return frame(MSG.ROUTE_REFRESH, m.refresh.encode());
  }
}

function badLength(len: number): MessageError {
  const data = Buffer.alloc(2);
  data.writeUInt16BE(len & 0xffff, 0);
  return new MessageError(ERR.HEADER, HEADER_SUB.BAD_LENGTH, `bad message length ${len}`, { data });
}

/**
 * Checks a header and returns the total message length, or undefined when fewer than 19
 * octets are available. RFC 4271 §6.1: marker all ones, 19 ≤ length ≤ 4096.
 */
export function peekLength(buf: Buffer): number | undefined {
  if (buf.length < HEADER_LEN) return undefined;
  if (!buf.subarray(0, 16).equals(MARKER)) throw new MessageError(ERR.HEADER, HEADER_SUB.NOT_SYNCHRONIZED, 'marker is not all ones');
  const len = buf.readUInt16BE(16);
  if (len < HEADER_LEN || len > MAX_MESSAGE_LEN) throw badLength(len);
  return len;
}

/** Decodes exactly one whole message (header included). */
export function decodeMessage(buf: Buffer, ctx: CodecContext = { as4: true }): Message {
  const len = peekLength(buf);
  if (len === undefined || len !== buf.length) throw badLength(buf.length);
  const type = buf[18]!;
  const body = buf.subarray(HEADER_LEN);
  // RFC 4271 §6.1: minimum lengths per type; KEEPALIVE is exactly 19 octets.
  switch (type) {
    case MSG.OPEN:
      if (len < 29) throw badLength(len);
      return { type: 'open', open: Open.decode(body) };
    case MSG.UPDATE:
      if (len < 23) throw badLength(len);
      return { type: 'update', update: Update.decode(body, ctx) };
    case MSG.NOTIFICATION:
      if (len < 21) throw badLength(len);
      return { type: 'notification', notification: Notification.decode(body) };
    case MSG.KEEPALIVE:
      if (len !== HEADER_LEN) throw badLength(len);
      return { type: 'keepalive' };
    case MSG.ROUTE_REFRESH:
      return { type: 'route-refresh', refresh: RouteRefresh.decode(body, buf) };
    default:
      throw new MessageError(ERR.HEADER, HEADER_SUB.BAD_TYPE, `bad message type ${type}`, { data: Buffer.from([type]) });
  }
}

/** Splits a TCP byte stream into whole messages. */
export class MessageReader {
  private buf: Buffer = Buffer.alloc(0);

  /** Appends bytes and returns every complete raw message now available; throws header errors. */
  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Buffer[] = [];
    for (;;) {
      const len = peekLength(this.buf);
      if (len === undefined || this.buf.length < len) break;
      out.push(Buffer.from(this.buf.subarray(0, len)));
      this.buf = this.buf.subarray(len);
    }
    return out;
  }
}
