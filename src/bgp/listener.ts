import type { Server, Socket } from 'node:net';
import { listenPeers, secureAccepted } from './transport';
import type { Logger } from '../util/log';
import { unmapV4Text } from '../util/ip';
import { parseIp } from './wire/address';
import type { Session } from './session';

function key(addr: string): string {
  return parseIp(unmapV4Text(addr)).toString('hex');
}

/**
 * Accepts BGP connections for a set of sessions: one TCP server per distinct local address and
 * port; a connection is handed to the session whose neighbor address it comes from, anything
 * else is closed.
 */
/** A listener a `passive;` neighbor depends on could not be bound (a start-up error, exit 3). */
export class BgpListenError extends Error {
  override readonly name = 'BgpListenError';
  readonly code = 'E_BGP_LISTEN';
}

export class Listener {
  private servers: Server[] = [];

  constructor(private readonly sessions: Session[], private readonly log: Logger) {}

  /**
   * Opens the servers. A port that cannot be bound is only a warning when every neighbor on it
   * also connects out; when a `passive;` neighbor waits for connections there, it is a
   * BgpListenError (servers already opened are closed again).
   */
  async start(): Promise<void> {
    const groups = new Map<string, { host: string; port: number; peers: Session[]; passive: string[] }>();
    for (const s of this.sessions) {
      const host = s.cfg.localAddress ?? '::';
      const k = `${host}|${s.cfg.port}`;
      const g = groups.get(k) ?? { host, port: s.cfg.port, peers: [], passive: [] };
      g.peers.push(s);
      if (s.cfg.passive) g.passive.push(s.cfg.address);
      groups.set(k, g);
    }
    for (const { host, port, peers, passive } of groups.values()) {
      const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
      let server: Server;
      let listen: (cb: () => void) => void;
      try {
        // With TCP-MD5 / GTSM the listening socket comes from the addon with the peers' keys on it.
        ({ server, listen } = listenPeers(host, port, peers.map((p) => p.cfg), (sock) => this.route(sock)));
      } catch (err) {
        if (passive.length > 0) {
          await this.close();
          throw new BgpListenError(`cannot listen on ${where} (${(err as Error).message}); passive neighbor ${passive.join(', ')} could never connect`);
        }
        this.log.warn({ host, port, err: (err as Error).message }, 'bgp: cannot listen; only outgoing connections for these neighbors');
        continue;
      }
      await new Promise<void>((resolve, reject) => {
        server.once('error', (err) => {
          if (passive.length > 0) {
            void this.close().then(() => reject(new BgpListenError(`cannot listen on ${where} (${err.message}); passive neighbor ${passive.join(', ')} could never connect`)));
            return;
          }
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
