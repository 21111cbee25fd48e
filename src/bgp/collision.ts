import type { Socket } from 'node:net';
import { parseIp } from './wire/address';
import { MessageReader, decodeMessage } from './wire/message';
import type { Open } from './wire/open';
import type { State } from './fsm';
import { LARGE_HOLD_TIME } from './fsm';

/**
 * Which connection survives when the peer's OPEN arrives on a second connection.
 * RFC 4271 §6.8: with both connections past Connect, the side with the lower BGP identifier
 * gives up the connection it initiated; an Established session always wins; a connection
 * attempt of ours that has not reached OpenSent yields to the peer's.
 */
export function resolveCollision(state: State, localId: string, remoteId: string, existingIsOurs: boolean): 'keep-new' | 'keep-existing' {
  if (state === 'Established') return 'keep-existing';
  if (state !== 'OpenSent' && state !== 'OpenConfirm') return 'keep-new';
  const localLower = parseIp(localId).readUInt32BE(0) < parseIp(remoteId).readUInt32BE(0);
  return !existingIsOurs || localLower ? 'keep-new' : 'keep-existing';
}

/**
 * Reads a second connection until its first message. Calls `onOpen` with the OPEN, the
 * reader (holding any partial bytes) and the messages that arrived with it; anything else,
 * an error or no OPEN within the large hold time destroys the socket.
 */
export function awaitOpen(sock: Socket, onOpen: (open: Open, reader: MessageReader, rest: Buffer[]) => void, onEnd: () => void): void {
  const reader = new MessageReader();
  const giveUp = setTimeout(() => sock.destroy(), LARGE_HOLD_TIME * 1000);
  const finish = () => { clearTimeout(giveUp); sock.removeAllListeners('data'); onEnd(); };
  sock.on('error', () => undefined);
  sock.on('close', finish);
  sock.on('data', (chunk: Buffer) => {
    let raws: Buffer[];
    try {
      raws = reader.push(chunk);
      if (raws.length === 0) return;
      const m = decodeMessage(raws[0]!);
      finish();
      if (m.type !== 'open') return void sock.destroy();
      onOpen(m.open, reader, raws.slice(1));
    } catch {
      finish();
      sock.destroy();
    }
  });
}
