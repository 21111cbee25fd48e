/**
 * BFD over UDP for one BGP neighbor (RFC 5881): Control packets to the peer's port 3784 from a
 * source port in 49152–65535, sent with TTL / hop limit 255; received on port 3784 of the local
 * address, where a socket filter drops anything that did not arrive with 255 (§5). The sockets
 * come from the native addon; the protocol is `BfdMachine`.
 */
import { createSocket } from 'node:dgram';
import type { Socket as UdpSocket, RemoteInfo } from 'node:dgram';
import { isIPv4 } from 'node:net';
import { performance } from 'node:perf_hooks';
import { randomInt } from 'node:crypto';
import type { Logger } from '../../util/log';
import { sockopt } from '../transport';
import { BfdMachine } from './machine';
import type { BfdChange, BfdTiming } from './machine';
import { BFD_STATE, BfdPacketError, decodeControl, encodeControl } from './packet';

/** RFC 5881 §4: the destination port of single-hop Control packets. */
export const BFD_PORT = 3784;
const TTL = 255;

const norm = (a: string): string => a.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1').toLowerCase();

/** One UDP socket on port 3784 of a local address, shared by every link on that address. */
class Receiver {
  readonly links = new Set<BfdLink>();
  private readonly sock: UdpSocket;

  constructor(readonly address: string, private readonly log: Logger, port: number) {
    const fam = isIPv4(address) ? 4 : 6;
    const fd = sockopt(`bfd on ${address}`).udpSocket(fam, address, port, TTL);
    this.sock = createSocket(fam === 4 ? 'udp4' : 'udp6');
    this.sock.on('message', (msg, rinfo) => this.dispatch(msg, rinfo));
    this.sock.on('error', (err) => this.log.warn({ address, err: err.message }, 'bfd receive socket error'));
    this.sock.bind({ fd });
  }

  private dispatch(msg: Buffer, rinfo: RemoteInfo): void {
    let p;
    try {
      p = decodeControl(msg);
    } catch (err) {
      if (!(err instanceof BfdPacketError)) throw err;
      this.log.debug({ from: rinfo.address, err: err.message }, 'bfd packet discarded');
      return;
    }
    const from = norm(rinfo.address);
    // RFC 5880 §6.8.6: Your Discriminator selects the session; zero → the source address (single hop).
    for (const l of this.links) {
      if (p.yourDisc !== 0 ? l.localDisc === p.yourDisc : l.peer === from) {
        if (l.peer !== from) return; // a discriminator from the wrong neighbor
        return l.receive(p);
      }
    }
    this.log.debug({ from, yourDisc: p.yourDisc }, 'bfd packet for no session discarded');
  }

  close(): void {
    this.sock.close();
  }
}

const receivers = new Map<string, Receiver>();
const discriminators = new Set<number>();

/** Options of a link. */
export interface BfdLinkOptions {
  peer: string;
  /** Local address (default: any address of the peer's family). */
  local?: string;
  timing: BfdTiming;
  log: Logger;
  onChange: (change: BfdChange) => void;
  /** Port to send to and receive on (default 3784; tests use others). */
  port?: number;
}

/** A running BFD session to one neighbor. */
export class BfdLink {
  readonly peer: string;
  readonly localDisc: number;
  private machine?: BfdMachine;
  private tx?: UdpSocket;
  private rx?: Receiver;
  private timer?: NodeJS.Timeout;
  private readonly port: number;
  /** Times the session went from Up to Down. */
  downs = 0;

  constructor(private readonly opts: BfdLinkOptions) {
    this.peer = norm(opts.peer);
    this.port = opts.port ?? BFD_PORT;
    let d: number;
    do d = randomInt(1, 0xffffffff); while (discriminators.has(d));
    discriminators.add(d);
    this.localDisc = d;
  }

  /** State name (`Down` before start). */
  get state(): string {
    return this.machine?.stateName ?? 'Down';
  }

  /** Opens the sockets and starts sending (slowly until Up, RFC 5880 §6.8.3). Throws when the addon is missing. */
  start(): void {
    if (this.machine) return;
    const fam = isIPv4(this.peer) ? 4 : 6;
    const local = this.opts.local ?? (fam === 4 ? '0.0.0.0' : '::');
    const key = `${local}|${this.port}`;
    let rx = receivers.get(key);
    if (!rx) {
      rx = new Receiver(local, this.opts.log, this.port);
      receivers.set(key, rx);
    }
    rx.links.add(this);
    this.rx = rx;
    const a = sockopt(`bfd to ${this.peer}`);
    // RFC 5881 §4: source port 49152–65535, unique per session.
    let fd = -1;
    for (let i = 0; fd < 0; i++) {
      try {
        fd = a.udpSocket(fam, local, randomInt(49152, 65536), TTL);
      } catch (err) {
        if (i > 30) throw err;
      }
    }
    this.tx = createSocket(fam === 4 ? 'udp4' : 'udp6');
    this.tx.on('error', (err) => this.opts.log.debug({ peer: this.peer, err: err.message }, 'bfd send error'));
    this.tx.bind({ fd });
    this.machine = new BfdMachine(this.localDisc, this.opts.timing, performance.now());
    this.schedule();
  }

  /** Sends AdminDown (diag 7) and closes; the peer must not treat it as a failure (RFC 5880 §6.8.16). */
  stop(): void {
    const m = this.machine;
    if (!m) return;
    clearTimeout(this.timer);
    const pkt = encodeControl(m.adminDown());
    const tx = this.tx;
    this.machine = undefined;
    this.tx = undefined;
    tx?.send(pkt, this.port, this.peer, () => tx.close());
    this.rx?.links.delete(this);
    if (this.rx && this.rx.links.size === 0) {
      this.rx.close();
      for (const [k, v] of receivers) if (v === this.rx) receivers.delete(k);
    }
    this.rx = undefined;
  }

  /** A packet for this session arrived. */
  receive(p: ReturnType<typeof decodeControl>): void {
    const m = this.machine;
    if (!m) return;
    const change = m.receive(p, performance.now());
    if (change) this.changed(change);
    this.schedule();
  }

  private changed(c: BfdChange): void {
    if (c.from === 'Up' && c.to !== 'Up') this.downs++;
    this.opts.onChange(c);
  }

  private schedule(): void {
    clearTimeout(this.timer);
    const m = this.machine;
    if (!m) return;
    this.timer = setTimeout(() => this.tick(), Math.max(0, m.nextWake() - performance.now()));
  }

  private tick(): void {
    const m = this.machine;
    if (!m) return;
    const r = m.poll(performance.now(), Math.random());
    if (r.send && this.tx) this.tx.send(encodeControl(r.send), this.port, this.peer);
    if (r.change) this.changed(r.change);
    this.schedule();
  }

  /** True while the session is Up. */
  isUp(): boolean {
    return this.machine?.state === BFD_STATE.Up;
  }
}
