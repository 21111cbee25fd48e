/**
 * DNS over TCP per RFC 7766: 2-byte length framing (RFC 1035 §4.2.2), pipelined queries answered
 * in order, an idle timeout, and bounded buffers — a partial frame is at most 65537 bytes and
 * replies stop being produced while the client is not reading.
 */
import type { Socket } from 'node:net';
import type { DnsEngine } from './engine';

/** Default idle timeout (RFC 7766 §6.2.3 recommends seconds, not minutes). */
export const DEFAULT_TCP_IDLE_MS = 10_000;
/** Default bound on concurrent TCP connections. */
export const DEFAULT_TCP_MAX_CONNECTIONS = 256;
/** Stop answering while this many reply bytes wait for the client to read. */
export const MAX_PENDING_WRITE = 256 * 1024;

/** Serves one TCP connection until the client closes it or it idles out. */
export function serveTcpConnection(sock: Socket, engine: DnsEngine, idleMs: number): void {
  const family: 4 | 6 = sock.remoteFamily === 'IPv6' ? 6 : 4;
  const address = sock.remoteAddress ?? '';
  const ctx = { tcp: true, address, family };
  let chunks: Buffer[] = [];
  let total = 0;
  let need = 0;

  const compact = (): Buffer => {
    if (chunks.length !== 1) chunks = [Buffer.concat(chunks, total)];
    return chunks[0];
  };

  const drain = (): void => {
    while (!sock.destroyed) {
      if (sock.writableLength > MAX_PENDING_WRITE) {
        sock.pause();
        return;
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
      const reply = engine.handle(msg, ctx);
      // RFC 1035 §4.2.2: the 2-byte length caps a message at 65535 bytes (the engine keeps to it).
      if (reply && reply.length <= 0xffff) {
        const frame = Buffer.allocUnsafe(2 + reply.length);
        frame.writeUInt16BE(reply.length, 0);
        reply.copy(frame, 2);
        sock.write(frame);
      }
    }
    if (sock.isPaused() && sock.writableLength <= MAX_PENDING_WRITE) sock.resume();
  };

  sock.setNoDelay(true);
  sock.setTimeout(idleMs, () => sock.destroy());
  sock.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    total += chunk.length;
    drain();
  });
  sock.on('drain', drain);
  sock.on('error', () => sock.destroy());
}
