/**
 * The dnstap observer of a DNS server: turns each observed query and reply (the transports'
 * exchange, src/dns/observer.ts) into an AUTH_QUERY and an AUTH_RESPONSE frame and hands them
 * to the sender. `sample` N keeps 1 query in N, both its messages. The wire messages are
 * copied verbatim, so the client's ECS option is in them as the client sent it.
 */
import { MESSAGE_TYPE, SOCKET_FAMILY, SOCKET_PROTOCOL, dnstapTime, encodeDnstap } from './message';
import type { DnstapSource } from './message';

/** One query and its reply as a DNS transport saw them (src/dns/observer.ts hands them over). */
export interface TapExchange {
  /** The query as received, verbatim (ECS and every option as the client sent them). */
  query: Uint8Array;
  /** The reply as sent; undefined when none was sent (dropped, rate limited, too long). */
  reply: Uint8Array | undefined;
  tcp: boolean;
  family: 4 | 6;
  /** The client's address: 4 octets (family 4) or 16. */
  clientAddress: Uint8Array;
  clientPort: number;
  /** The server's address the query came to (the listen address) and its port. */
  serverAddress: Uint8Array;
  serverPort: number;
  /** Milliseconds since the epoch when the query was read and the reply written. */
  receivedMs: number;
  repliedMs: number;
}

/** Where frames go (FstrmSender). */
export interface FrameSink {
  /** Room for `n` frames? When not, the sink counts them as dropped. */
  admit(n: number): boolean;
  send(frame: Buffer): void;
}

/** Options of DnstapTap. */
export interface TapOptions {
  /** Keep 1 query in `sample` (default 1: every query). */
  sample?: number;
  /** `Dnstap.identity` (e.g. the NSID or host name) and `Dnstap.version`. */
  identity?: string;
  version?: string;
}

/** Encodes observed exchanges as dnstap frames (see the module comment). */
export class DnstapTap {
  private readonly sample: number;
  private readonly source: DnstapSource;
  private seen = 0;
  /** Queries taken by sampling. */
  taken = 0;

  constructor(private readonly sink: FrameSink, opts: TapOptions = {}) {
    const sample = opts.sample ?? 1;
    if (!Number.isInteger(sample) || sample < 1) throw new TypeError(`sample: expected a positive integer, got ${sample}`);
    this.sample = sample;
    this.source = {
      identity: opts.identity ? Buffer.from(opts.identity, 'utf8') : undefined,
      version: opts.version ? Buffer.from(opts.version, 'utf8') : undefined,
    };
  }

  /**
   * DnsObserver: whether to take the next query — 1 in `sample`, and only when the queue has
   * room for its messages (else they are counted as dropped): before anything is encoded, so
   * an absent collector costs a counter.
   */
  take(replied: boolean): boolean {
    if (this.sample > 1 && this.seen++ % this.sample !== 0) return false;
    return this.sink.admit(replied ? 2 : 1);
  }

  /** DnsObserver: a query `take` accepted, and its reply. */
  exchange(e: TapExchange): void {
    this.taken++;
    const family = e.family === 6 ? SOCKET_FAMILY.INET6 : SOCKET_FAMILY.INET;
    const protocol = e.tcp ? SOCKET_PROTOCOL.TCP : SOCKET_PROTOCOL.UDP;
    const queryTime = dnstapTime(e.receivedMs);
    const common = { family, protocol, queryAddress: e.clientAddress, queryPort: e.clientPort, responseAddress: e.serverAddress, responsePort: e.serverPort, queryTime };
    this.sink.send(encodeDnstap({ type: MESSAGE_TYPE.AUTH_QUERY, ...common, queryMessage: e.query }, this.source, true));
    if (e.reply) this.sink.send(encodeDnstap({ type: MESSAGE_TYPE.AUTH_RESPONSE, ...common, responseTime: dnstapTime(e.repliedMs), responseMessage: e.reply }, this.source, true));
  }
}
