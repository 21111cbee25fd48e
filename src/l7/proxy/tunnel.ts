/**
 * Upgrade pass-through (RFC 9110 §7.8; WebSocket, RFC 6455 §4): the admitted upgrade request is
 * sent to the picked member on a connection of its own; whatever the member answers (101
 * Switching Protocols, or a refusal) goes back to the client, and after a 101 the bytes flow
 * both ways untouched until either side closes or the tunnel stays idle too long.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** Counters of upgrade requests, shown in status. */
export interface TunnelStats {
  /** Upgrade requests received. */
  upgrades: number;
  /** Members that answered 101: tunnels opened. */
  tunnels: number;
  /** Tunnels open now. */
  tunnelsOpen: number;
  /** Tunnels closed because no byte passed in either direction for the idle timeout. */
  tunnelIdleClosed: number;
}

/** `host` and `port` of an `http://host:port` origin. */
export function originAddress(origin: string): { host: string; port: number } {
  const u = new URL(origin);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 80) };
}

/** Connects to `origin`; rejects (with the socket error's code) on failure or after `timeoutMs`. */
export function connectUpstream(origin: string, timeoutMs: number): Promise<Socket> {
  const { host, port } = originAddress(origin);
  return new Promise((resolve, reject) => {
    const s = connect({ host, port, noDelay: true });
    const t = setTimeout(() => {
      s.destroy();
      reject(Object.assign(new Error('connect timeout'), { code: 'UND_ERR_CONNECT_TIMEOUT' }));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(t);
      s.off('error', onError);
      resolve(s);
    });
    const onError = (e: Error): void => {
      clearTimeout(t);
      reject(e);
    };
    s.once('error', onError);
  });
}

/** The HTTP/1.1 request head for the member. */
export function requestHead(method: string, path: string, headers: Record<string, string | string[]>): string {
  let h = `${method} ${path} HTTP/1.1\r\n`;
  for (const [k, v] of Object.entries(headers)) {
    if (Array.isArray(v)) for (const x of v) h += `${k}: ${x}\r\n`;
    else h += `${k}: ${v}\r\n`;
  }
  return h + '\r\n';
}

/** How a tunnel's member answered: its status, or why it did not. */
export type TunnelAnswer = { status: number } | { error: string };

/**
 * Sends `head` (+ `early`, bytes the client sent after its head) on `upstream` and splices it
 * with `client`. `onAnswer` sees the member's status line (or why none came); `onClose` runs
 * once when both are gone. Idle: `headMs` until the member answers, then `idleMs` of silence in
 * both directions closes both.
 */
export function splice(
  client: Duplex,
  upstream: Socket,
  head: string,
  early: Buffer,
  o: { headMs: number; idleMs: number; stats: TunnelStats },
  onAnswer: (a: TunnelAnswer) => void,
): void {
  let answered = false;
  let open = false;
  let closed = false;
  const close = (idle: boolean): void => {
    if (closed) return;
    closed = true;
    if (idle && open) o.stats.tunnelIdleClosed++;
    if (open) o.stats.tunnelsOpen--;
    if (!answered) {
      answered = true;
      onAnswer({ error: idle ? 'no answer in time' : 'connection closed before an answer' });
    }
    client.destroy();
    upstream.destroy();
  };
  let lastActivity = Date.now();
  const touch = (): void => void (lastActivity = Date.now());
  const timer = setInterval(() => {
    const limit = answered ? o.idleMs : o.headMs;
    if (Date.now() - lastActivity >= limit) close(true);
  }, Math.max(50, Math.min(o.idleMs, o.headMs) / 4));
  timer.unref();

  upstream.once('data', (first: Buffer) => {
    answered = true;
    // RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ].
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(first.subarray(0, 16).toString('latin1'));
    const status = m ? Number(m[1]) : 0;
    if (status === 101) {
      open = true;
      o.stats.tunnels++;
      o.stats.tunnelsOpen++;
    }
    onAnswer(status ? { status } : { error: 'not an HTTP/1.1 answer' });
  });
  upstream.on('data', touch);
  client.on('data', touch);
  upstream.pipe(client);
  client.pipe(upstream);
  upstream.on('error', () => close(false));
  client.on('error', () => close(false));
  upstream.on('close', () => {
    clearInterval(timer);
    close(false);
  });
  client.on('close', () => {
    clearInterval(timer);
    close(false);
  });
  upstream.write(head);
  if (early.length) upstream.write(early);
}
