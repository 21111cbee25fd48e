/**
 * The kernel's round-trip estimate of a TCP connection (TCP_INFO `tcpi_rtt`, the smoothed RTT,
 * and `tcpi_rttvar`), through `anypick_sockopt` (native/sockopt.cc `tcpRtt`). Node exposes
 * neither TCP_INFO nor a connection's handshake time, so without the addon there is no reader.
 */
import type { Socket } from 'node:net';
import { loadAddon } from './addon';

/** Round trip of a connection, ms. */
export interface TcpRtt {
  rttMs: number;
  rttVarMs: number;
}

/** Reads a socket's round trip; undefined when the socket has no descriptor (closed, not TCP). */
export type TcpRttReader = (socket: Socket) => TcpRtt | undefined;

interface SockoptRtt {
  tcpRtt(fd: number): [number, number];
}

/** The file descriptor of a connected net.Socket or tls.TLSSocket (both expose it on the handle). */
function fdOf(socket: Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: number } | null })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/** The reader, or why there is none. */
export function tcpRttReader(): { ok: true; read: TcpRttReader } | { ok: false; reason: string } {
  const r = loadAddon<SockoptRtt>('anypick_sockopt');
  if (!r.ok) return { ok: false, reason: r.reason };
  if (typeof r.addon.tcpRtt !== 'function') return { ok: false, reason: 'native addon anypick_sockopt has no tcpRtt (rebuild it: npm ci)' };
  const addon = r.addon;
  return {
    ok: true,
    read: (socket) => {
      const fd = fdOf(socket);
      if (fd === undefined) return undefined;
      try {
        const [rtt, v] = addon.tcpRtt(fd);
        return rtt > 0 ? { rttMs: rtt / 1000, rttVarMs: v / 1000 } : undefined;
      } catch {
        return undefined;
      }
    },
  };
}
