/**
 * DNS over TCP per RFC 7766: 2-byte length framing (RFC 1035 §4.2.2), pipelined queries answered
 * in order, and bounded buffers — a partial frame is at most 65537 bytes and replies stop being
 * produced while the client is not reading. Timeouts and connection caps are the connection
 * table's (tcp-limits.ts); this file reports activity to it.
 */
import type { Socket } from 'node:net';
import type { DnsEngine, QueryContext } from './engine';
import type { TcpConn, TcpConnectionTable } from './tcp-limits';
import { wallClockMs } from './observer';
import type { ExchangeReporter } from './observer';

/** Stop answering while this many reply bytes wait for the client to read. */
export const MAX_PENDING_WRITE = 256 * 1024;

/**
 * Serves one TCP connection until the client closes it or the table closes it. Returns false
 * (and closes the socket) when the table refuses it. `seen` reports each query and its reply
 * to the server's observer (observer.ts).
 */
export function serveTcpConnection(sock: Socket, engine: DnsEngine, table: TcpConnectionTable, key: string, now: () => number = Date.now, seen?: ExchangeReporter): boolean {
  const family: 4 | 6 = sock.remoteFamily === 'IPv6' ? 6 : 4;
  const address = sock.remoteAddress ?? '';
  const ctx: QueryContext = { tcp: true, address, family };
  const conn: TcpConn = {
    key,
    lastActive: now(),
    frameStart: 0,
    get writing() {
      return sock.writableLength > 0;
    },
    close: () => sock.destroy(),
  };
  if (!table.admit(conn)) {
    sock.destroy();
    return false;
  }
  let chunks: Buffer[] = [];
  let total = 0;
  let need = 0;

  const compact = (): Buffer => {
    if (chunks.length !== 1) chunks = [Buffer.concat(chunks, total)];
    return chunks[0];
  };

  const drain = (): void => {
    let stalled = false;
    let consumed = false;
    while (!sock.destroyed) {
      if (sock.writableLength > MAX_PENDING_WRITE) {
        sock.pause();
        stalled = true;
        break;
      }
      if (need === 0) {
        if (total < 2) break;
        need = 2 + compact().readUInt16BE(0);
      }
      if (total < need) break;
      const buf = compact();
      const msg = buf.subarray(2, need);
      const rest = buf.subarray(need);
      chunks = rest.length > 0 ? [rest] : [];
      total = rest.length;
      need = 0;
      consumed = true;
      ctx.keepaliveMs = table.idleTimeoutMs();
      const received = seen ? wallClockMs() : 0;
      const reply = engine.handle(msg, ctx);
      // RFC 1035 §4.2.2: the 2-byte length caps a message at 65535 bytes (the engine keeps to it).
      const sent = reply && reply.length <= 0xffff ? reply : undefined;
      if (sent) {
        const frame = Buffer.allocUnsafe(2 + sent.length);
        frame.writeUInt16BE(sent.length, 0);
        sent.copy(frame, 2);
        sock.write(frame);
      }
      if (seen) seen.report(msg, sent, address, family, sock.remotePort ?? 0, received);
    }
    // RFC 7766 §6.2.3: the message timeout runs from the first byte of a frame; a client that
    // does not read its replies is bounded by the idle timeout instead.
    if (total === 0 || stalled) conn.frameStart = 0;
    else if (consumed || conn.frameStart === 0) conn.frameStart = now();
    if (sock.isPaused() && sock.writableLength <= MAX_PENDING_WRITE) sock.resume();
  };

  sock.setNoDelay(true);
  sock.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    total += chunk.length;
    table.touch(conn, now());
    drain();
  });
  sock.on('drain', () => {
    table.touch(conn, now());
    drain();
  });
  sock.on('close', () => table.remove(conn));
  sock.on('error', () => sock.destroy());
  return true;
}
