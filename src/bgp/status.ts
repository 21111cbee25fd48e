/** Per-session message and route counters. */
export interface Counters {
  messagesSent: number;
  messagesReceived: number;
  updatesReceived: number;
  prefixesReceived: number;
  treatAsWithdraw: number;
  attributesDiscarded: number;
  malformedReceived: number;
  notificationsSent: number;
  notificationsReceived: number;
  routeRefreshesReceived: number;
  announcementsSent: number;
  withdrawalsSent: number;
  establishedTransitions: number;
  collisions: number;
}

/** A fresh set of zeroed counters. */
export function newCounters(): Counters {
  return {
    messagesSent: 0, messagesReceived: 0, updatesReceived: 0, prefixesReceived: 0, treatAsWithdraw: 0,
    attributesDiscarded: 0, malformedReceived: 0, notificationsSent: 0, notificationsReceived: 0,
    routeRefreshesReceived: 0, announcementsSent: 0, withdrawalsSent: 0, establishedTransitions: 0, collisions: 0,
  };
}

/** JSON status of one session (served by `--status-http`, read by `anypick status`). */
export interface SessionStatus {
  neighbor: string;
  port: number;
  localAsn: number;
  peerAsn: number;
  routerId: string;
  peerRouterId: string | null;
  state: string;
  holdTime: number | null;
  announced: string[];
  /** Prefixes the announcer wants announced that this Established session cannot carry, and why. */
  unannounced: { prefix: string; reason: string }[];
  /** BFD state and Up → Down count when `bfd;` is configured. */
  bfd: { state: string; downs: number } | null;
  /** When the next connection attempt may start (only while not Established and waiting). */
  nextAttempt?: string;
  lastError: string | null;
  lastTransition: string;
  counters: Counters;
}

/** JSON status of the whole announcer. */
export interface AnnouncerStatus {
  name: string;
  /** `starting` (check not yet passed), `up` (announcing), `down` (check failing), `draining`, `stopped`. */
  phase: string;
  prefixes: string[];
  check: { kind: string; healthy: boolean; passes: number; failures: number; lastResult: string | null; lastChange: string | null };
  sessions: SessionStatus[];
}
