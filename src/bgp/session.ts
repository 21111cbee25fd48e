import type { Socket } from 'node:net';
import { connectPeer, describeSecurity, md5Failures } from './transport';
import type { Logger } from '../util/log';
import { step, LARGE_HOLD_TIME } from './fsm';
import type { Action, Event, FsmContext, Negotiated, State } from './fsm';
import { MessageReader, decodeMessage, encodeMessage } from './wire/message';
import type { Message } from './wire/message';
import { MessageError } from './wire/errors';
import { Open, standardCapabilities } from './wire/open';
import { Notification } from './wire/notification';
import { AFI, CEASE_SUB, ERR, SAFI } from './wire/constants';
import { advertKey, announceUpdate, withdrawUpdate } from './advert';
import type { Advertisement } from './advert';
import { deriveNextHops, deriveRouterId } from './next-hop';
import { awaitOpen, resolveCollision } from './collision';
import type { NeighborConfig } from './config';
import { newCounters } from './status';
import { Retry } from './backoff';
import { BfdLink } from './bfd/link';
import { BFD_DIAG } from './bfd/packet';
import type { Counters, SessionStatus } from './status';


const familyOf = (prefix: string): number => (prefix.includes(':') ? AFI.IPV6 : AFI.IPV4);

/**
 * One BGP session to one neighbor. The public surface is `set(...advertisements)` (the desired
 * routes; the session diffs against what it sent) and `close()`; `accept()` hands it incoming
 * connections from the speaker's listener (with RFC 4271 §6.8 collision detection).
 */
export class Session {
  state: State = 'Idle';
  private readonly ctx: FsmContext;
  private sock?: Socket;
  private sockOutgoing = false;
  private reader = new MessageReader();
  private negotiated?: Negotiated;
  private desired = new Map<string, Advertisement>();
  private sent = new Map<string, string>();
  /** Desired prefixes the Established session cannot carry, with the reason. */
  private unannounced = new Map<string, string>();
  private timers: Partial<Record<'retry' | 'hold' | 'keepalive' | 'restart', NodeJS.Timeout>> = {};
  private readonly retry: Retry;
  private closed = false;
  private pending = new Set<Socket>();
  private lastError?: string;
  private lastTransition = new Date();
  private nextAttemptAt?: number;
  /** While damped, incoming connections are refused too. */
  private dampedUntil = 0;
  private startedOnce = false;
  readonly counters: Counters = newCounters();
  private onEstablished: (() => void)[] = [];
  /** BFD to the neighbor when `bfd;` is configured. */
  readonly bfd?: BfdLink;

  constructor(readonly cfg: NeighborConfig, private readonly log: Logger) {
    this.ctx = {
      passive: cfg.passive, localAsn: cfg.localAsn, peerAsn: cfg.peerAsn, holdTime: cfg.holdTime,
      routerId: deriveRouterId(cfg),
      families: [{ afi: AFI.IPV6, safi: SAFI.UNICAST }, { afi: AFI.IPV4, safi: SAFI.UNICAST }],
    };
    if (cfg.bfd) {
      this.bfd = new BfdLink({
        peer: cfg.address, local: cfg.localAddress, timing: cfg.bfd, log, port: cfg.bfdPort,
        onChange: (c) => {
          const diag = Object.keys(BFD_DIAG).find((k) => BFD_DIAG[k as keyof typeof BFD_DIAG] === c.diag) ?? String(c.diag);
          this.log[c.from === 'Up' || c.to === 'Up' ? 'info' : 'debug']({ neighbor: cfg.address, from: c.from, to: c.to, diag }, `bfd ${c.from} → ${c.to}${c.to === 'Down' ? ` (${diag})` : ''}`);
          if (c.from === 'Up' && c.to !== 'Up') {
            this.lastError = `bfd ${c.from} → ${c.to} (${diag})`;
            this.fire({ type: 'bfd-down' });
          }
        },
      });
    }
    this.retry = new Retry({
      baseMs: cfg.connectRetryMs, maxMs: cfg.connectRetryMaxMs, flapWithinMs: cfg.flapWithinMs,
      flapsAllowed: cfg.flapsAllowed, dampMinMs: cfg.dampMinMs, dampMaxMs: cfg.dampMaxMs,
    });
  }

  /** The BGP identifier this session uses. */
  get routerId(): string {
    return this.ctx.routerId;
  }

  /** Starts the FSM (ManualStart). */
  start(): void {
    this.closed = false;
    try {
      this.bfd?.start();
    } catch (err) {
      // The first start fails loudly (start-up error); a restart after a drain keeps BGP going.
      if (!this.startedOnce) throw err;
      this.log.error({ neighbor: this.cfg.address, err: (err as Error).message }, 'bfd: cannot restart; BGP continues without BFD');
    }
    this.startedOnce = true;
    this.fire({ type: 'start' });
  }

  /** States the routes that should be announced now; sends only the difference. */
  set(...ads: Advertisement[]): void {
    this.desired = new Map(ads.map((a) => [a.prefix, a]));
    if (this.state === 'Established') this.sync();
  }

  /** Prefixes currently announced to the peer. */
  announced(): string[] {
    return [...this.sent.keys()];
  }

  /** Stops the session: Cease/Administrative Shutdown (6/2) when connected, then no reconnects. */
  close(message = 'anypick shutting down'): Promise<void> {
    this.closed = true;
    this.bfd?.stop();
    for (const t of Object.values(this.timers)) clearTimeout(t);
    for (const s of this.pending) s.destroy();
    const sock = this.sock;
    this.fire({ type: 'stop', notification: Notification.adminShutdown(message) });
    if (!sock || sock.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      sock.once('close', () => resolve());
      setTimeout(resolve, 1000).unref();
    });
  }

  /** Resolves when the session next reaches Established. */
  whenEstablished(): Promise<void> {
    if (this.state === 'Established') return Promise.resolve();
    return new Promise((r) => this.onEstablished.push(r));
  }

  /** JSON status: state, announced prefixes, last error, last transition, counters. */
  status(): SessionStatus {
    return {
      neighbor: this.cfg.address, port: this.cfg.port, localAsn: this.cfg.localAsn, peerAsn: this.cfg.peerAsn,
      routerId: this.ctx.routerId, peerRouterId: this.negotiated?.peerRouterId ?? null, state: this.state,
      holdTime: this.negotiated?.holdTime ?? null, announced: this.announced(),
      unannounced: [...this.unannounced].filter(([p]) => this.desired.has(p)).map(([prefix, reason]) => ({ prefix, reason })),
      bfd: this.bfd ? { state: this.bfd.state, downs: this.bfd.downs } : null,
      ...(this.state !== 'Established' && this.nextAttemptAt && this.nextAttemptAt > Date.now() ? { nextAttempt: new Date(this.nextAttemptAt).toISOString() } : {}),
      lastError: this.lastError ?? null,
      lastTransition: this.lastTransition.toISOString(), counters: { ...this.counters },
    };
  }

  /** Takes an incoming connection from the peer (RFC 4271 §6.8 connection collisions). */
  accept(sock: Socket): void {
    if (this.closed) return void sock.destroy();
    if (this.state === 'Established') {
      // RFC 4271 §6.8: a new connection while Established is closed (collision resolution).
      this.rawSend(sock, { type: 'notification', notification: new Notification(ERR.CEASE, CEASE_SUB.COLLISION_RESOLUTION) });
      sock.end();
      return;
    }
    // RFC 4271 §8.1.1 DampPeerOscillations: while damped, the peer's connections are refused too
    // (Cease/Connection Rejected), or a peer that connects itself would bypass the hold-back.
    if (this.state === 'Idle' && this.dampedUntil > Date.now()) {
      this.log.debug({ neighbor: this.cfg.address, until: new Date(this.dampedUntil).toISOString() }, 'bgp: damped; incoming connection rejected');
      this.rawSend(sock, { type: 'notification', notification: new Notification(ERR.CEASE, CEASE_SUB.CONNECTION_REJECTED) });
      sock.end();
      setTimeout(() => sock.destroy(), 200).unref();
      return;
    }
    // Our own connection exists or is in progress: both race until the peer's OPEN decides.
    if (this.state === 'Connect' || this.state === 'OpenSent' || this.state === 'OpenConfirm') return this.raceIncoming(sock);
    // Idle (backing off) or Active: the incoming connection becomes the session's.
    clearTimeout(this.timers.restart);
    if (this.state === 'Idle') this.transition(step('Idle', { type: 'start' }, { ...this.ctx, passive: true }), { type: 'start' });
    this.sock?.destroy();
    this.attach(sock, false);
    this.fire({ type: 'tcp-connected' });
  }

  private fire(e: Event): void {
    if (e.type === 'connect-retry-expired' && (this.state === 'Connect' || this.state === 'Active')) this.connectTimedOut();
    this.transition(step(this.state, e, this.ctx), e);
  }

  private md5Seen = md5Failures();

  /**
   * An outgoing connection got no answer within its slot. With TCP-MD5 this is how a wrong or
   * missing key looks (the kernel drops unsigned or badly signed segments without a reply), so
   * say so, with the kernel's TCPMD5Failure count for this network namespace.
   */
  private connectTimedOut(): void {
    const security = describeSecurity({ address: this.cfg.address, md5Key: this.cfg.md5Key, ttlSecurity: this.cfg.ttlSecurity });
    if (!security) return;
    const now = md5Failures();
    const delta = now !== undefined && this.md5Seen !== undefined ? now - this.md5Seen : undefined;
    this.md5Seen = now;
    // Passive (Active state): only worth a word when the kernel dropped badly signed segments.
    if (this.state === 'Active' && !delta) return;
    this.lastError = `tcp: ${this.state === 'Active' ? 'connection attempts from the peer dropped' : 'no answer to the connection attempt'} with ${security}` + (this.cfg.md5Key ? `: a wrong or missing password on either side makes the kernel drop segments silently${delta ? ` (kernel TCPMD5Failure +${delta})` : ''}` : ': ttl-security needs the peer one hop away sending TTL 255');
    this.log.warn({ neighbor: this.cfg.address, md5Failures: now, md5FailuresDelta: delta }, `bgp: ${this.lastError}`);
  }

  private transition(t: ReturnType<typeof step>, e: Event): void {
    const prev = this.state;
    this.state = t.next;
    if (t.error) this.lastError = `${e.type === 'notification' ? 'received' : 'sent'} ${t.error.toString()}${t.error.shutdownMessage() ? ': ' + t.error.shutdownMessage() : ''}`;
    if (prev !== t.next) {
      this.lastTransition = new Date();
      const up = t.next === 'Established' || prev === 'Established';
      // RFC 9003: the shutdown communication of a Cease is logged as the operator wrote it.
      const shutdown = t.error?.shutdownMessage();
      const why = t.error ? `: ${e.type === 'notification' ? 'received' : 'sent'} ${t.error.toString()}${shutdown !== undefined ? ` "${shutdown}"` : ''}` : '';
      this.log[up || e.type === 'notification' ? 'info' : 'debug']({ neighbor: this.cfg.address, from: prev, to: t.next, reason: t.reason, error: t.error?.toString(), shutdownMessage: shutdown }, `bgp session ${prev} → ${t.next} (${t.reason}${why})`);
    }
    for (const a of t.actions) this.perform(a);
    if (t.next === 'Idle' && prev !== 'Idle') this.afterDown();
  }

  private noteUnannounced(prefix: string, reason: string): void {
    if (this.unannounced.get(prefix) !== reason) this.log.warn({ neighbor: this.cfg.address, prefix, reason }, `bgp: not announcing ${prefix}: ${reason}`);
    this.unannounced.set(prefix, reason);
  }

  private afterDown(): void {
    this.negotiated = undefined;
    this.sent.clear();
    this.unannounced.clear();
    for (const k of ['hold', 'keepalive', 'retry'] as const) clearTimeout(this.timers[k]);
    if (this.closed) return;
    // Automatic restart with exponential backoff and damping (RFC 4271 §8.1.1 DampPeerOscillations).
    const now = Date.now();
    const d = this.retry.afterDown(now, Math.random());
    if (d.damped) {
      this.log.warn({ neighbor: this.cfg.address, flaps: d.damped.flaps, delayMs: d.damped.delayMs, lastError: this.lastError },
        `bgp: damping the neighbor: ${d.damped.reason}; next attempt in ${(d.damped.delayMs / 1000).toFixed(1)} s`);
    }
    this.nextAttemptAt = d.at;
    this.dampedUntil = d.damped ? d.at : 0;
    this.timers.restart = setTimeout(() => this.fire({ type: 'start' }), Math.max(0, d.at - now));
  }

  private perform(a: Action): void {
    switch (a.do) {
      case 'connect': return this.connect();
      case 'drop': {
        const s = this.sock;
        this.sock = undefined;
        if (s) s.end(() => s.destroy());
        if (s) setTimeout(() => s.destroy(), 200).unref();
        return;
      }
      case 'send-open': {
        const open = new Open({ asn: this.ctx.localAsn, holdTime: this.ctx.holdTime, routerId: this.ctx.routerId, capabilities: standardCapabilities(this.ctx.localAsn, this.ctx.families) });
        return this.send({ type: 'open', open });
      }
      case 'send-keepalive': return this.send({ type: 'keepalive' });
      case 'notify': this.counters.notificationsSent++; return this.send({ type: 'notification', notification: a.notification });
      case 'start-retry-timer': {
        // One slot per attempt: a connection that fails early keeps the running slot (no second count).
        clearTimeout(this.timers.retry);
        const now = Date.now();
        const at = this.retry.slot(now, Math.random());
        this.nextAttemptAt = at;
        this.timers.retry = setTimeout(() => this.fire({ type: 'connect-retry-expired' }), Math.max(0, at - now));
        return;
      }
      case 'stop-retry-timer': return clearTimeout(this.timers.retry);
      case 'hold-timer': {
        clearTimeout(this.timers.hold);
        const secs = a.seconds ?? this.negotiated?.holdTime ?? LARGE_HOLD_TIME;
        if (secs > 0) this.timers.hold = setTimeout(() => this.fire({ type: 'hold-expired' }), secs * 1000);
        return;
      }
      case 'keepalive-timer': {
        clearTimeout(this.timers.keepalive);
        const ka = this.negotiated?.keepaliveTime ?? 0;
        if (ka > 0) this.timers.keepalive = setTimeout(() => this.fire({ type: 'keepalive-timer' }), ka * 1000);
        return;
      }
      case 'negotiated': this.negotiated = a.negotiated; return;
      case 'established':
        this.retry.established(Date.now());
        this.counters.establishedTransitions++;
        this.sync();
        for (const r of this.onEstablished.splice(0)) r();
        return;
      case 'resend-routes': {
        // RFC 2918 §4: re-send the requested AFI/SAFI only; one we did not negotiate is ignored.
        this.counters.routeRefreshesReceived++;
        const f = a.family;
        if (!this.negotiated?.families.some((n) => n.afi === f.afi && n.safi === f.safi)) {
          this.log.debug({ neighbor: this.cfg.address, afi: f.afi, safi: f.safi }, 'bgp: ROUTE-REFRESH for a family not negotiated; ignored');
          return;
        }
        for (const prefix of [...this.sent.keys()]) if (familyOf(prefix) === f.afi) this.sent.delete(prefix);
        return this.sync();
      }
      case 'count-update': {
        const u = a.update;
        this.counters.updatesReceived++;
        if (u.treatAsWithdraw) this.counters.treatAsWithdraw++;
        this.counters.attributesDiscarded += u.issues.filter((i) => i.action === 'attribute-discard').length;
        // RFC 7606 §2: a treat-as-withdraw UPDATE announces nothing.
        if (!u.treatAsWithdraw) this.counters.prefixesReceived += u.announced().length;
        return;
      }
    }
  }

  private connect(): void {
    this.sock?.destroy();
    let sock: Socket;
    try {
      sock = connectPeer({ address: this.cfg.address, port: this.cfg.port, localAddress: this.cfg.localAddress, md5Key: this.cfg.md5Key, ttlSecurity: this.cfg.ttlSecurity });
    } catch (err) {
      // Checked at start (checkSecuritySupport); a failure here is a kernel refusal (e.g. no TCP_MD5SIG).
      this.lastError = `tcp: ${(err as Error).message}`;
      this.log.error({ neighbor: this.cfg.address, err: (err as Error).message }, 'bgp: cannot open a connection with the configured socket options');
      return;
    }
    this.attach(sock, true);
    sock.once('connect', () => {
      if (this.sock === sock) this.fire({ type: 'tcp-connected' });
    });
  }

  private attach(sock: Socket, outgoing: boolean, reader = new MessageReader()): void {
    this.sock = sock;
    this.sockOutgoing = outgoing;
    this.reader = reader;
    sock.setNoDelay(true);
    sock.on('data', (chunk: Buffer) => {
      if (this.sock !== sock) return;
      let raws: Buffer[];
      try {
        raws = this.reader.push(chunk);
      } catch (err) {
        // RFC 4271 §6.1 header errors (marker, length, type) count as malformed too.
        this.counters.malformedReceived++;
        return this.fire({ type: 'message-error', error: err as MessageError });
      }
      try {
        for (const raw of raws) {
          if (this.sock !== sock) return;
          this.receive(raw);
        }
      } catch (err) {
        // A bug must not take the process down: drop this connection; the FSM restarts.
        this.log.error({ neighbor: this.cfg.address, err: (err as Error).stack }, 'bgp: error handling a message');
        sock.destroy();
      }
    });
    sock.on('error', (err) => {
      this.log.debug({ neighbor: this.cfg.address, err: err.message }, 'bgp socket error');
      if (this.sock === sock) this.lastError = `tcp: ${err.message}`;
    });
    sock.on('close', () => {
      if (this.sock === sock) {
        this.sock = undefined;
        this.fire({ type: 'tcp-failed' });
      }
    });
  }

  private receive(raw: Buffer): void {
    let m: Message;
    try {
      m = decodeMessage(raw, { as4: this.negotiated?.as4 ?? false });
    } catch (err) {
      this.counters.malformedReceived++;
      if (err instanceof MessageError) return this.fire({ type: 'message-error', error: err });
      // Nothing a peer sends may crash the process: an unexpected decoder failure resets the session.
      this.log.error({ neighbor: this.cfg.address, err: (err as Error).message, hex: raw.toString('hex') }, 'bgp: undecodable message');
      return this.fire({ type: 'message-error', error: new MessageError(ERR.CEASE, 0, (err as Error).message) });
    }
    this.counters.messagesReceived++;
    this.log.trace({ neighbor: this.cfg.address, type: m.type, hex: raw.toString('hex') }, 'bgp message received');
    switch (m.type) {
      case 'open': return this.fire({ type: 'open', open: m.open });
      case 'keepalive': return this.fire({ type: 'keepalive' });
      case 'update': return this.fire({ type: 'update', update: m.update });
      case 'route-refresh': return this.fire({ type: 'route-refresh', family: { afi: m.refresh.afi, safi: m.refresh.safi } });
      case 'notification':
        this.counters.notificationsReceived++;
        return this.fire({ type: 'notification', notification: m.notification });
    }
  }

  private send(m: Message): void {
    if (this.sock) this.rawSend(this.sock, m);
  }

  private rawSend(sock: Socket, m: Message): void {
    if (sock.destroyed || !sock.writable) return;
    this.counters.messagesSent++;
    sock.write(encodeMessage(m, { as4: this.negotiated?.as4 ?? false }));
  }

  /** Sends announcements and withdrawals so the peer holds exactly the desired routes. */
  private sync(): void {
    const n = this.negotiated;
    if (!n || !this.sock) return;
    const nextHops = deriveNextHops(this.sock.localAddress ?? this.cfg.localAddress ?? '');
    const actx = { localAsn: this.ctx.localAsn, peerAsn: this.ctx.peerAsn, as4: n.as4, nextHops };
    this.unannounced.clear();
    for (const [prefix, ad] of this.desired) {
      const key = advertKey(ad);
      if (this.sent.get(prefix) === key) continue;
      const afi = familyOf(prefix);
      if (!n.families.some((f) => f.afi === afi)) {
        this.noteUnannounced(prefix, `the peer did not negotiate IPv${afi === AFI.IPV6 ? 6 : 4} unicast`);
        continue;
      }
      const u = announceUpdate(ad, actx);
      if (!u) {
        this.noteUnannounced(prefix, `no IPv${afi === AFI.IPV6 ? 6 : 4} next hop on the session's interface`);
        continue;
      }
      this.send({ type: 'update', update: u });
      this.sent.set(prefix, key);
      this.counters.announcementsSent++;
    }
    for (const prefix of [...this.sent.keys()]) {
      if (this.desired.has(prefix)) continue;
      this.send({ type: 'update', update: withdrawUpdate(prefix) });
      this.sent.delete(prefix);
      this.counters.withdrawalsSent++;
    }
  }

  /**
   * A second connection while ours is in OpenSent/OpenConfirm: send our OPEN on it, read the
   * peer's OPEN, then RFC 4271 §6.8: if our identifier is lower, keep the connection the peer
   * opened; otherwise keep the one we opened. The loser gets Cease/Collision Resolution (6/7).
   */
  private raceIncoming(sock: Socket): void {
    this.pending.add(sock);
    const open = new Open({ asn: this.ctx.localAsn, holdTime: this.ctx.holdTime, routerId: this.ctx.routerId, capabilities: standardCapabilities(this.ctx.localAsn, this.ctx.families) });
    this.rawSend(sock, { type: 'open', open });
    const cease = (s: Socket) => this.rawSend(s, { type: 'notification', notification: new Notification(ERR.CEASE, CEASE_SUB.COLLISION_RESOLUTION) });
    awaitOpen(sock, (peerOpen, reader, rest) => {
      if (this.closed) return void sock.destroy();
      this.counters.collisions++;
      if (resolveCollision(this.state, this.ctx.routerId, peerOpen.routerId, this.sockOutgoing) === 'keep-existing') {
        cease(sock);
        return void sock.end();
      }
      const old = this.sock;
      this.sock = undefined;
      if (old && (this.state === 'OpenSent' || this.state === 'OpenConfirm')) {
        cease(old);
        old.end();
      } else {
        old?.destroy();
      }
      this.log.debug({ neighbor: this.cfg.address }, 'bgp collision: keeping the connection the peer opened');
      clearTimeout(this.timers.restart);
      clearTimeout(this.timers.retry);
      this.attach(sock, false, reader);
      this.state = 'OpenSent';
      this.fire({ type: 'open', open: peerOpen });
      // Messages that arrived together with the OPEN (e.g. a KEEPALIVE).
      for (const raw of rest) if (this.sock === sock) this.receive(raw);
    }, () => this.pending.delete(sock));
  }
}
