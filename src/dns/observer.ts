/**
 * The transports' observer hook: when a server has an observer (dnstap), every query and the
 * reply sent for it are handed to it as they leave, with the client's and the server's
 * address and port and the times. Without one the transports pay one `undefined` check per
 * message. The observer must copy what it keeps: the byte views are reused after the call.
 */
import { tryParseAddress } from '../util/ip';
import type { TapExchange } from '../dnstap/tap';

/** One query and its reply as the transport saw them (the type lives with its consumer, src/dnstap). */
export type DnsExchange = TapExchange;

/** What the transports call (src/dnstap's tap implements it). */
export interface DnsObserver {
  /**
   * Asked first, for every query: does the observer want this one (`replied`: a reply was
   * sent)? False (sampled out, or its queue is full) spares building the exchange.
   */
  take(replied: boolean): boolean;
  /** A query the observer took, and its reply. */
  exchange(e: DnsExchange): void;
}

/** The wall clock for DnsExchange times (Date.now: follows the system clock, millisecond steps). */
export const wallClockMs: () => number = Date.now;

const EMPTY = new Uint8Array(0);

/**
 * Reports the exchanges of one dgram socket or TCP connection to the observer: one reused
 * DnsExchange, the peer's address text parsed to octets once per change of peer.
 */
export class ExchangeReporter {
  private readonly e: DnsExchange;
  private lastText = '';

  constructor(private readonly observer: DnsObserver, tcp: boolean, serverHost: string, public serverPort = 0) {
    this.e = { query: EMPTY, reply: undefined, tcp, family: 4, clientAddress: EMPTY, clientPort: 0, serverAddress: tryParseAddress(serverHost) ?? EMPTY, serverPort, receivedMs: 0, repliedMs: 0 };
  }

  /** One query and its reply (undefined: none sent), from `address`:`port`, read at `receivedMs`. */
  report(query: Uint8Array, reply: Uint8Array | undefined, address: string, family: 4 | 6, port: number, receivedMs: number): void {
    if (!this.observer.take(reply !== undefined)) return;
    const e = this.e;
    if (address !== this.lastText) {
      e.clientAddress = tryParseAddress(address) ?? EMPTY;
      this.lastText = address;
    }
    e.query = query;
    e.reply = reply;
    e.family = family;
    e.clientPort = port;
    e.serverPort = this.serverPort;
    e.receivedMs = receivedMs;
    e.repliedMs = wallClockMs();
    this.observer.exchange(e);
  }
}

