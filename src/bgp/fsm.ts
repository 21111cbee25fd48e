import { AFI, CEASE_SUB, ERR, FSM_SUB, OPEN_SUB, SAFI } from './wire/constants';
import { MessageError } from './wire/errors';
import { Notification } from './wire/notification';
import type { Family, Open } from './wire/open';
import type { Update } from './wire/update';

/** The six session states of RFC 4271 §8.2.2. */
export type State = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';

/** Inputs to the FSM (a subset of RFC 4271 §8.1 events, named for what happened). */
export type Event =
  | { type: 'start' }
  | { type: 'stop'; notification?: Notification }
  | { type: 'tcp-connected' }
  | { type: 'tcp-failed' }
  | { type: 'connect-retry-expired' }
  | { type: 'hold-expired' }
  | { type: 'keepalive-timer' }
  | { type: 'open'; open: Open }
  | { type: 'keepalive' }
  | { type: 'update'; update: Update }
  | { type: 'route-refresh'; family: Family }
  | { type: 'notification'; notification: Notification }
  | { type: 'message-error'; error: MessageError }
  | { type: 'collision-dump' }
  | { type: 'bfd-down' };

/** Why a transition happened: a closed set, logged with every session up/down. */
export type Reason =
  | 'start' | 'stop' | 'tcp-connected' | 'tcp-failed' | 'connect-retry-expired' | 'open-accepted'
  | 'open-rejected' | 'keepalive-received' | 'update-received' | 'route-refresh-received'
  | 'keepalive-timer' | 'hold-timer-expired' | 'notification-received' | 'message-error'
  | 'unexpected-message' | 'collision-dump' | 'bfd-down' | 'ignored';

/** What the negotiation of two OPENs produced (RFC 4271 §4.2, RFC 4760, RFC 6793). */
export interface Negotiated {
  holdTime: number;
  keepaliveTime: number;
  as4: boolean;
  families: Family[];
  routeRefresh: boolean;
  peerRouterId: string;
}

/** Side effects the session must carry out, in order. */
export type Action =
  | { do: 'connect' }
  | { do: 'drop' }
  | { do: 'send-open' }
  | { do: 'send-keepalive' }
  | { do: 'notify'; notification: Notification }
  | { do: 'start-retry-timer' }
  | { do: 'stop-retry-timer' }
  | { do: 'hold-timer'; seconds?: number }
  | { do: 'keepalive-timer' }
  | { do: 'negotiated'; negotiated: Negotiated }
  | { do: 'established' }
  | { do: 'resend-routes'; family: Family }
  | { do: 'count-update'; update: Update };

/** The result of one FSM step. */
export interface Transition {
  next: State;
  reason: Reason;
  actions: Action[];
  /** The NOTIFICATION received or sent that ended the session, if any. */
  error?: Notification;
}

/** Static facts the FSM needs about the local side. */
export interface FsmContext {
  passive: boolean;
  localAsn: number;
  peerAsn: number;
  holdTime: number;
  routerId: string;
  families: Family[];
}

/** Hold time while waiting for the peer's OPEN (RFC 4271 §8.2.2 suggests 4 minutes). */
export const LARGE_HOLD_TIME = 240;

const down = (reason: Reason, n?: Notification, extra: Action[] = []): Transition => ({
  next: 'Idle', reason, actions: [...extra, ...(n ? [{ do: 'notify' as const, notification: n }] : []), { do: 'drop' }], error: n,
});
const stay = (s: State, reason: Reason, actions: Action[] = []): Transition => ({ next: s, reason, actions });
const hold = new Notification(ERR.HOLD_TIMER_EXPIRED, 0);
const collision = new Notification(ERR.CEASE, CEASE_SUB.COLLISION_RESOLUTION);
const fsmError = (sub: number) => new Notification(ERR.FSM, sub);

/**
 * Checks a received OPEN against the configuration and negotiates the session parameters.
 * RFC 4271 §6.2: wrong peer AS → 2/2; RFC 6286: identical identifier on iBGP → 2/3.
 */
export function negotiate(open: Open, ctx: FsmContext): Negotiated {
  if (open.asn !== ctx.peerAsn) throw new MessageError(ERR.OPEN, OPEN_SUB.BAD_PEER_AS, `peer AS ${open.asn}, expected ${ctx.peerAsn}`);
  if (ctx.localAsn === ctx.peerAsn && open.routerId === ctx.routerId) {
    throw new MessageError(ERR.OPEN, OPEN_SUB.BAD_BGP_ID, `peer uses our BGP identifier ${open.routerId}`);
  }
  const holdTime = Math.min(open.holdTime, ctx.holdTime);
  // RFC 4760 §8: a peer without multiprotocol capabilities speaks IPv4 unicast only.
  const theirs = open.families().length ? open.families() : [{ afi: AFI.IPV4, safi: SAFI.UNICAST }];
  const families = ctx.families.filter((f) => theirs.some((t) => t.afi === f.afi && t.safi === f.safi));
  return {
    holdTime, keepaliveTime: Math.floor(holdTime / 3), as4: open.supportsAs4(), families,
    routeRefresh: open.supportsRouteRefresh(), peerRouterId: open.routerId,
  };
}

function common(e: Event, unexpectedSub: number): Transition | undefined {
  switch (e.type) {
    case 'stop': return down('stop', e.notification ?? Notification.adminShutdown());
    case 'hold-expired': return down('hold-timer-expired', hold);
    case 'notification': return { ...down('notification-received'), error: e.notification };
    case 'message-error': return down('message-error', Notification.fromError(e.error));
    case 'collision-dump': return down('collision-dump', collision);
    // RFC 5882 §4.3 / RFC 9384: the BFD session went down: the BGP session goes down at once.
    case 'bfd-down': return down('bfd-down', new Notification(ERR.CEASE, CEASE_SUB.BFD_DOWN));
    case 'tcp-failed': return down('tcp-failed');
    case 'open': case 'keepalive': case 'update': case 'route-refresh':
      return down('unexpected-message', fsmError(unexpectedSub));
    default: return undefined;
  }
}

/** Idle: wait for a start; everything else is ignored (RFC 4271 §8.2.2). */
export function idle(e: Event, ctx: FsmContext): Transition {
  if (e.type !== 'start') return stay('Idle', 'ignored');
  return ctx.passive
    ? stay('Active', 'start', [{ do: 'start-retry-timer' }])
    : stay('Connect', 'start', [{ do: 'start-retry-timer' }, { do: 'connect' }]);
}

/** Connect: an outgoing TCP connection is in progress. */
export function connect(e: Event, _ctx: FsmContext): Transition {
  switch (e.type) {
    case 'tcp-connected': return stay('OpenSent', 'tcp-connected', [{ do: 'stop-retry-timer' }, { do: 'send-open' }, { do: 'hold-timer', seconds: LARGE_HOLD_TIME }]);
    case 'tcp-failed': return stay('Active', 'tcp-failed', [{ do: 'drop' }, { do: 'start-retry-timer' }]);
    case 'connect-retry-expired': return stay('Connect', 'connect-retry-expired', [{ do: 'drop' }, { do: 'start-retry-timer' }, { do: 'connect' }]);
    case 'start': case 'bfd-down': return stay('Connect', 'ignored');
    case 'stop': return down('stop');
    default: return common(e, FSM_SUB.UNSPECIFIED) ?? stay('Connect', 'ignored');
  }
}

/** Active: waiting for the peer to connect, or for the retry timer to try again. */
export function active(e: Event, ctx: FsmContext): Transition {
  switch (e.type) {
    case 'tcp-connected': return stay('OpenSent', 'tcp-connected', [{ do: 'stop-retry-timer' }, { do: 'send-open' }, { do: 'hold-timer', seconds: LARGE_HOLD_TIME }]);
    case 'connect-retry-expired':
      return ctx.passive
        ? stay('Active', 'connect-retry-expired', [{ do: 'start-retry-timer' }])
        : stay('Connect', 'connect-retry-expired', [{ do: 'start-retry-timer' }, { do: 'connect' }]);
    case 'tcp-failed': return stay('Active', 'tcp-failed', [{ do: 'start-retry-timer' }]);
    case 'start': case 'bfd-down': return stay('Active', 'ignored');
    case 'stop': return down('stop');
    default: return common(e, FSM_SUB.UNSPECIFIED) ?? stay('Active', 'ignored');
  }
}

/** OpenSent: our OPEN is out; the peer's OPEN decides (RFC 4271 §8.2.2). */
export function openSent(e: Event, ctx: FsmContext): Transition {
  switch (e.type) {
    case 'open': {
      try {
        const negotiated = negotiate(e.open, ctx);
        return stay('OpenConfirm', 'open-accepted', [
          { do: 'negotiated', negotiated }, { do: 'send-keepalive' }, { do: 'hold-timer' }, { do: 'keepalive-timer' },
        ]);
      } catch (err) {
        if (!(err instanceof MessageError)) throw err;
        return down('open-rejected', Notification.fromError(err));
      }
    }
    // RFC 4271 §8.2.2: TcpConnectionFails in OpenSent → Active with the retry timer running.
    case 'tcp-failed': return stay('Active', 'tcp-failed', [{ do: 'drop' }, { do: 'start-retry-timer' }]);
    case 'start': case 'connect-retry-expired': case 'keepalive-timer': return stay('OpenSent', 'ignored');
    default: return common(e, FSM_SUB.OPEN_SENT) ?? stay('OpenSent', 'ignored');
  }
}

/** OpenConfirm: both OPENs exchanged; the peer's KEEPALIVE establishes the session. */
export function openConfirm(e: Event, _ctx: FsmContext): Transition {
  switch (e.type) {
    case 'keepalive': return stay('Established', 'keepalive-received', [{ do: 'hold-timer' }, { do: 'established' }]);
    case 'keepalive-timer': return stay('OpenConfirm', 'keepalive-timer', [{ do: 'send-keepalive' }, { do: 'keepalive-timer' }]);
    case 'start': case 'connect-retry-expired': return stay('OpenConfirm', 'ignored');
    default: return common(e, FSM_SUB.OPEN_CONFIRM) ?? stay('OpenConfirm', 'ignored');
  }
}

/** Established: UPDATEs and KEEPALIVEs restart the hold timer; ROUTE-REFRESH re-sends routes. */
export function established(e: Event, _ctx: FsmContext): Transition {
  switch (e.type) {
    case 'keepalive': return stay('Established', 'keepalive-received', [{ do: 'hold-timer' }]);
    case 'update': return stay('Established', 'update-received', [{ do: 'hold-timer' }, { do: 'count-update', update: e.update }]);
    case 'route-refresh': return stay('Established', 'route-refresh-received', [{ do: 'hold-timer' }, { do: 'resend-routes', family: e.family }]);
    case 'keepalive-timer': return stay('Established', 'keepalive-timer', [{ do: 'send-keepalive' }, { do: 'keepalive-timer' }]);
    case 'start': case 'connect-retry-expired': return stay('Established', 'ignored');
    default: return common(e, FSM_SUB.ESTABLISHED) ?? stay('Established', 'ignored');
  }
}

const HANDLERS: Record<State, (e: Event, ctx: FsmContext) => Transition> = {
  Idle: idle, Connect: connect, Active: active, OpenSent: openSent, OpenConfirm: openConfirm, Established: established,
};

/** Runs one FSM step: dispatches to the function for the current state. */
export function step(state: State, e: Event, ctx: FsmContext): Transition {
  return HANDLERS[state](e, ctx);
}
