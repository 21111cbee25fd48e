/**
 * BFD Control packet codec (RFC 5880 §4.1), without authentication. Pure: no sockets.
 */

/** Session states (RFC 5880 §4.1 "Sta"). */
export const BFD_STATE = { AdminDown: 0, Down: 1, Init: 2, Up: 3 } as const;
/** State names by value. */
export type BfdStateName = keyof typeof BFD_STATE;
export const BFD_STATE_NAMES: BfdStateName[] = ['AdminDown', 'Down', 'Init', 'Up'];

/** Diagnostic codes (RFC 5880 §4.1 "Diag"). */
export const BFD_DIAG = {
  None: 0, ControlDetectionTimeExpired: 1, EchoFailed: 2, NeighborSignaledDown: 3, ForwardingPlaneReset: 4,
  PathDown: 5, ConcatenatedPathDown: 6, AdministrativelyDown: 7, ReverseConcatenatedPathDown: 8,
} as const;

/** A decoded Control packet; intervals in microseconds as on the wire. */
export interface ControlPacket {
  version: number;
  diag: number;
  state: number;
  poll: boolean;
  final: boolean;
  cpi: boolean;
  auth: boolean;
  demand: boolean;
  multipoint: boolean;
  detectMult: number;
  myDisc: number;
  yourDisc: number;
  desiredMinTx: number;
  requiredMinRx: number;
  requiredMinEchoRx: number;
}

/** Why a received packet was discarded (RFC 5880 §6.8.6); never thrown to a peer. */
export class BfdPacketError extends Error {
  override readonly name = 'BfdPacketError';
  readonly code = 'E_BFD_PACKET';
}

/** Length of a Control packet without authentication. */
export const CONTROL_LEN = 24;

/** Encodes a Control packet (24 octets, no authentication section). */
export function encodeControl(p: Omit<ControlPacket, 'version' | 'auth' | 'multipoint' | 'cpi' | 'demand'> & Partial<ControlPacket>): Buffer {
  const b = Buffer.alloc(CONTROL_LEN);
  b[0] = ((p.version ?? 1) << 5) | (p.diag & 0x1f);
  b[1] = (p.state << 6) | (p.poll ? 0x20 : 0) | (p.final ? 0x10 : 0) | (p.cpi ? 0x08 : 0) | (p.auth ? 0x04 : 0) | (p.demand ? 0x02 : 0) | (p.multipoint ? 0x01 : 0);
  b[2] = p.detectMult;
  b[3] = CONTROL_LEN;
  b.writeUInt32BE(p.myDisc >>> 0, 4);
  b.writeUInt32BE(p.yourDisc >>> 0, 8);
  b.writeUInt32BE(p.desiredMinTx >>> 0, 12);
  b.writeUInt32BE(p.requiredMinRx >>> 0, 16);
  b.writeUInt32BE(p.requiredMinEchoRx >>> 0, 20);
  return b;
}

/**
 * Decodes and validates a Control packet with the checks of RFC 5880 §6.8.6 that need no
 * session: version 1, Length ≥ 24 and ≤ the datagram, Detect Mult ≠ 0, Multipoint clear,
 * My Discriminator ≠ 0, Your Discriminator ≠ 0 unless the state is Down or AdminDown. Packets
 * with the A bit are refused (no authentication is configured).
 */
export function decodeControl(buf: Buffer): ControlPacket {
  if (buf.length < CONTROL_LEN) throw new BfdPacketError(`packet of ${buf.length} octets is shorter than 24`);
  const version = buf[0]! >> 5;
  if (version !== 1) throw new BfdPacketError(`version ${version}, expected 1`);
  const len = buf[3]!;
  const auth = (buf[1]! & 0x04) !== 0;
  if (len < (auth ? 26 : CONTROL_LEN)) throw new BfdPacketError(`Length field ${len} too small`);
  if (len > buf.length) throw new BfdPacketError(`Length field ${len} exceeds the datagram (${buf.length})`);
  const p: ControlPacket = {
    version, diag: buf[0]! & 0x1f, state: buf[1]! >> 6,
    poll: (buf[1]! & 0x20) !== 0, final: (buf[1]! & 0x10) !== 0, cpi: (buf[1]! & 0x08) !== 0, auth,
    demand: (buf[1]! & 0x02) !== 0, multipoint: (buf[1]! & 0x01) !== 0, detectMult: buf[2]!,
    myDisc: buf.readUInt32BE(4), yourDisc: buf.readUInt32BE(8), desiredMinTx: buf.readUInt32BE(12),
    requiredMinRx: buf.readUInt32BE(16), requiredMinEchoRx: buf.readUInt32BE(20),
  };
  if (p.detectMult === 0) throw new BfdPacketError('Detect Mult is zero');
  if (p.multipoint) throw new BfdPacketError('Multipoint bit set');
  if (p.myDisc === 0) throw new BfdPacketError('My Discriminator is zero');
  if (p.yourDisc === 0 && p.state !== BFD_STATE.Down && p.state !== BFD_STATE.AdminDown) throw new BfdPacketError(`Your Discriminator is zero in state ${BFD_STATE_NAMES[p.state]}`);
  if (auth) throw new BfdPacketError('authentication present but none configured');
  return p;
}
