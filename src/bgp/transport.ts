/**
 * TCP for BGP with the options routers demand and Node does not expose: TCP-MD5 (RFC 2385) and
 * GTSM (RFC 5082), through the `anypick_sockopt` native addon (native/sockopt.cc). Without
 * these options plain `net` sockets are used and the addon is not needed.
 */
import { readFileSync } from 'node:fs';
import { Server, Socket, createConnection, createServer, isIPv4 } from 'node:net';
import { loadAddon } from '../native/addon';

/** The functions of native/sockopt.cc. */
export interface SockoptAddon {
  tcpSocket(family: 4 | 6): number;
  bindListener(family: 4 | 6, address: string, port: number): number;
  udpSocket(family: 4 | 6, address: string, port: number, ttl: number): number;
  setMd5(fd: number, family: 4 | 6, peer: string, key: Buffer): void;
  setTtl(fd: number, family: 4 | 6, ttl: number): void;
  setMinTtl(fd: number, family: 4 | 6, minTtl: number): void;
  closeFd(fd: number): void;
}

/** Thrown when a configured option needs the addon and it is not available. */
export class SockoptUnavailableError extends Error {
  override readonly name = 'SockoptUnavailableError';
  readonly code = 'E_BGP_SOCKOPT';
}

/** RFC 5082 §3: send with 255; one hop away the peer's packets arrive with at least 254. */
export const GTSM_TTL = 255;
export const GTSM_MIN_TTL = 254;

/** The addon, or a SockoptUnavailableError naming the option that needs it and why it is missing. */
export function sockopt(what: string, load: typeof loadAddon = loadAddon): SockoptAddon {
  const r = load<SockoptAddon>('anypick_sockopt');
  if (!r.ok) throw new SockoptUnavailableError(`${what} needs the native addon anypick_sockopt: ${r.reason}`);
  return r.addon;
}

/** Socket options of one BGP neighbor. */
export interface PeerSecurity {
  address: string;
  md5Key?: Buffer;
  ttlSecurity: boolean;
  /** BFD sockets need the addon too (TTL 255 check on receive). */
  bfd?: unknown;
}

const familyOf = (addr: string): 4 | 6 => (isIPv4(addr) ? 4 : 6);
const needsAddon = (p: PeerSecurity): boolean => Boolean(p.md5Key) || p.ttlSecurity;
const needsAddonAtAll = (p: PeerSecurity): boolean => needsAddon(p) || Boolean(p.bfd);

/** The options a neighbor asks for, for messages: `TCP-MD5 and ttl-security`. */
export function describeSecurity(p: PeerSecurity): string {
  return [p.md5Key ? 'TCP-MD5 (password)' : '', p.ttlSecurity ? 'ttl-security' : '', p.bfd ? 'bfd' : ''].filter(Boolean).join(' and ');
}

/** Fails at start, not at the first connection, when an option is configured but the addon is missing. */
export function checkSecuritySupport(peers: PeerSecurity[], load: typeof loadAddon = loadAddon): void {
  const p = peers.find(needsAddonAtAll);
  if (p) sockopt(`neighbor ${p.address}: ${describeSecurity(p)}`, load);
}

/**
 * Opens a BGP connection. With TCP-MD5 the key must be on the socket before connect() (the SYN
 * is signed), so the addon creates the socket, sets the options and Node connects that fd.
 */
export function connectPeer(opts: PeerSecurity & { port: number; localAddress?: string }): Socket {
  if (!needsAddon(opts)) return createConnection({ host: opts.address, port: opts.port, localAddress: opts.localAddress });
  const a = sockopt(`neighbor ${opts.address}: ${describeSecurity(opts)}`);
  const fam = familyOf(opts.address);
  const fd = a.tcpSocket(fam);
  try {
    if (opts.md5Key) a.setMd5(fd, fam, opts.address, opts.md5Key);
    if (opts.ttlSecurity) {
      a.setTtl(fd, fam, GTSM_TTL);
      a.setMinTtl(fd, fam, GTSM_MIN_TTL);
    }
  } catch (err) {
    a.closeFd(fd);
    throw err;
  }
  // manualStart: no read on the fd before it is connected; connect() reuses the fd's handle.
  const sock = new Socket({ fd, manualStart: true } as ConstructorParameters<typeof Socket>[0]);
  return sock.connect({ host: opts.address, port: opts.port, localAddress: opts.localAddress });
}

/**
 * A listening server for the neighbors that share a local address and port. With TCP-MD5 the
 * keys of every neighbor are installed on the listening socket (the kernel checks the SYN);
 * GTSM's TTL 255 is set on the listener when any neighbor wants it (the SYN-ACK must carry it),
 * the minimum TTL when all do (otherwise per accepted connection, see `secureAccepted`).
 */
export function listenPeers(host: string, port: number, peers: PeerSecurity[], onConnection: (s: Socket) => void): { server: Server; listen: (cb: () => void) => void } {
  const server = createServer(onConnection);
  if (!peers.some(needsAddon)) return { server, listen: (cb) => server.listen({ host, port }, cb) };
  const a = sockopt(`listener ${host} port ${port}: ${peers.filter(needsAddon).map((p) => `neighbor ${p.address} ${describeSecurity(p)}`).join(', ')}`);
  const fam = familyOf(host);
  const fd = a.bindListener(fam, host, port);
  try {
    for (const p of peers) if (p.md5Key) a.setMd5(fd, fam, p.address, p.md5Key);
    if (peers.some((p) => p.ttlSecurity)) a.setTtl(fd, fam, GTSM_TTL);
    if (peers.every((p) => p.ttlSecurity)) a.setMinTtl(fd, fam, GTSM_MIN_TTL);
  } catch (err) {
    a.closeFd(fd);
    throw err;
  }
  return { server, listen: (cb) => server.listen({ fd }, cb) };
}

/** Applies the neighbor's GTSM options to an accepted connection (the listener may be shared). */
export function secureAccepted(sock: Socket, p: PeerSecurity): void {
  if (!p.ttlSecurity) return;
  const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (fd === undefined || fd < 0) throw new SockoptUnavailableError('accepted connection has no file descriptor');
  const a = sockopt(`neighbor ${p.address}: ttl-security`);
  const fam = familyOf(sock.localAddress ?? p.address);
  a.setTtl(fd, fam, GTSM_TTL);
  a.setMinTtl(fd, fam, GTSM_MIN_TTL);
}

/**
 * The kernel's count of segments dropped for a bad TCP-MD5 signature (TcpExt TCPMD5Failure in
 * /proc/net/netstat, per network namespace), or undefined where it cannot be read.
 */
export function md5Failures(): number | undefined {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const keys = lines[i]!.split(/\s+/);
      const vals = lines[i + 1]!.split(/\s+/);
      const k = keys.indexOf('TCPMD5Failure');
      if (keys[0] === 'TcpExt:' && k > 0) return Number(vals[k]);
    }
  } catch {
    return undefined;
  }
  return undefined;
}
