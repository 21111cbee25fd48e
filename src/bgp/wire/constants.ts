/** BGP message types (RFC 4271 §4.1, RFC 2918 §3). */
export const MSG = {
  OPEN: 1,
  UPDATE: 2,
  NOTIFICATION: 3,
  KEEPALIVE: 4,
  ROUTE_REFRESH: 5,
} as const;

/** Fixed header length: 16-byte marker, 2-byte length, 1-byte type (RFC 4271 §4.1). */
export const HEADER_LEN = 19;
/** Largest message without RFC 8654 extended messages. */
export const MAX_MESSAGE_LEN = 4096;

/** Address family identifiers (RFC 4760). */
export const AFI = { IPV4: 1, IPV6: 2 } as const;
/** Subsequent address family identifiers (RFC 4760). */
export const SAFI = { UNICAST: 1 } as const;

/** AS_TRANS, placed in 2-octet fields when the real ASN does not fit (RFC 6793 §9). */
export const AS_TRANS = 23456;

/** Path attribute flag bits (RFC 4271 §4.3). */
export const FLAG = { OPTIONAL: 0x80, TRANSITIVE: 0x40, PARTIAL: 0x20, EXTENDED: 0x10 } as const;

/** Path attribute type codes. */
export const ATTR = {
  ORIGIN: 1,
  AS_PATH: 2,
  NEXT_HOP: 3,
  MED: 4,
  LOCAL_PREF: 5,
  ATOMIC_AGGREGATE: 6,
  AGGREGATOR: 7,
  COMMUNITIES: 8,
  MP_REACH_NLRI: 14,
  MP_UNREACH_NLRI: 15,
  AS4_PATH: 17,
  AS4_AGGREGATOR: 18,
  /** RFC 8092. */
  LARGE_COMMUNITY: 32,
} as const;

/** Capability codes (RFC 5492 registry). */
export const CAP = { MULTIPROTOCOL: 1, ROUTE_REFRESH: 2, AS4: 65 } as const;

/** AS_PATH segment types (RFC 4271 §4.3). */
export const SEGMENT = { AS_SET: 1, AS_SEQUENCE: 2 } as const;

/** ORIGIN values (RFC 4271 §5.1.1). */
export const ORIGIN = { IGP: 0, EGP: 1, INCOMPLETE: 2 } as const;

/** Well-known communities used by the announcer. */
export const COMMUNITY = {
  /** RFC 8326 GRACEFUL_SHUTDOWN 65535:0. */
  GRACEFUL_SHUTDOWN: 0xffff0000,
  /** RFC 1997 NO_EXPORT. */
  NO_EXPORT: 0xffffff01,
} as const;

/** NOTIFICATION error codes (RFC 4271 §4.5, RFC 6608, RFC 7313). */
export const ERR = {
  HEADER: 1,
  OPEN: 2,
  UPDATE: 3,
  HOLD_TIMER_EXPIRED: 4,
  FSM: 5,
  CEASE: 6,
  ROUTE_REFRESH: 7,
} as const;

/** Message Header Error subcodes (RFC 4271 §6.1). */
export const HEADER_SUB = { NOT_SYNCHRONIZED: 1, BAD_LENGTH: 2, BAD_TYPE: 3 } as const;

/** OPEN Message Error subcodes (RFC 4271 §6.2, RFC 5492). */
export const OPEN_SUB = {
  UNSUPPORTED_VERSION: 1,
  BAD_PEER_AS: 2,
  BAD_BGP_ID: 3,
  UNSUPPORTED_OPTIONAL_PARAMETER: 4,
  UNACCEPTABLE_HOLD_TIME: 6,
  UNSUPPORTED_CAPABILITY: 7,
} as const;

/** UPDATE Message Error subcodes (RFC 4271 §6.3). */
export const UPDATE_SUB = {
  MALFORMED_ATTRIBUTE_LIST: 1,
  UNRECOGNIZED_WELL_KNOWN: 2,
  MISSING_WELL_KNOWN: 3,
  ATTRIBUTE_FLAGS: 4,
  ATTRIBUTE_LENGTH: 5,
  INVALID_ORIGIN: 6,
  INVALID_NEXT_HOP: 8,
  OPTIONAL_ATTRIBUTE: 9,
  INVALID_NETWORK_FIELD: 10,
  MALFORMED_AS_PATH: 11,
} as const;

/** Cease subcodes (RFC 4486). */
export const CEASE_SUB = {
  MAX_PREFIXES: 1,
  ADMIN_SHUTDOWN: 2,
  PEER_DECONFIGURED: 3,
  ADMIN_RESET: 4,
  CONNECTION_REJECTED: 5,
  OTHER_CONFIG_CHANGE: 6,
  COLLISION_RESOLUTION: 7,
  OUT_OF_RESOURCES: 8,
  /** RFC 9384. */
  BFD_DOWN: 10,
} as const;

/** FSM Error subcodes (RFC 6608). */
export const FSM_SUB = { UNSPECIFIED: 0, OPEN_SENT: 1, OPEN_CONFIRM: 2, ESTABLISHED: 3 } as const;
