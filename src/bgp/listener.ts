import type { Server, Socket } from 'node:net';
import { listenPeers, secureAccepted } from './transport';
import type { Logger } from '../util/log';
import { parseIp } from './wire/address';
import type { Session } from './session';

function key(addr: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr);
  return parseIp(m ? m[1]! : addr).toString('hex');
}

/**
 * Accepts BGP connections for a set of sessions: one TCP server per distinct local address and
 * port; a connection is handed to the session whose neighbor address it comes from, anything
 * else is closed.
 */
export class Listener {
  private servers: Server[] = [];

  constructor(private readonly sessions: Session[], private readonly log: Logger) {}

  /** Opens the servers; a port that cannot be bound is logged (active sessions still work). */
  async start(): Promise<void> {
    const groups = new Map<string, { host: string; port: number; peers: Session[] }>();
    for (const s of this.sessions) {
      const host = s.cfg.localAddress ?? '::';
      const g = groups.get(`${host}|${s.cfg.port}`) ?? { host, port: s.cfg.port, peers: [] };
      g.peers.push(s);
      groups.set(`${host}|${s.cfg.port}`, g);
    }
    for (const { host, port, peers } of groups.values()) {
      let server: Server;
      let listen: (cb: () => void) => void;
      try {
        ({ server, listen } = listenPeers(host, port, peers.map((p) => p.cfg), (sock) => this.route(sock)));
      } catch (err) {
        // With TCP-MD5 a missing listener would let nothing in; the sessions still connect out.
        this.log.warn({ host, port, err: (err as Error).message }, 'bgp: cannot listen; only outgoing connections for these neighbors');
        continue;
      }
      await new Promise<void>((resolve) => {
        server.once('error', (err) => {
          this.log.warn({ host, port, err: err.message }, 'bgp: cannot listen; only outgoing connections for these neighbors');
          resolve();
        });
        listen(() => {
          this.servers.push(server);
          this.log.info({ host, port }, 'bgp listening');
          resolve();
        });
      });
    }
  }

  private route(sock: Socket): void {
    const remote = sock.remoteAddress ?? '';
    const s = this.sessions.find((x) => {
      try {
        return key(x.cfg.address) === key(remote) && (!x.cfg.localAddress || key(x.cfg.localAddress) === key(sock.localAddress ?? ''));
      } catch {
        return false;
      }
    });
    if (!s) {
      this.log.warn({ remote }, 'bgp: connection from an unconfigured address closed');
      sock.destroy();
      return;
    }
    try {
      secureAccepted(sock, s.cfg);
    } catch (err) {
      this.log.warn({ remote, err: (err as Error).message }, 'bgp: cannot apply ttl-security to an accepted connection; closed');
      sock.destroy();
      return;
    }
    s.accept(sock);
  }

  /** Closes every server. */
  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.servers = [];
  }
}
