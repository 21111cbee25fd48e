import { CEASE_SUB, ERR, HEADER_SUB } from './constants';
import { CodecInputError, MessageError } from './errors';
import type { MessageError as MessageErrorType } from './errors';

const NAMES: Record<number, [string, Record<number, string>]> = {
  1: ['Message Header Error', { 1: 'Connection Not Synchronized', 2: 'Bad Message Length', 3: 'Bad Message Type' }],
  2: ['OPEN Message Error', {
    1: 'Unsupported Version Number', 2: 'Bad Peer AS', 3: 'Bad BGP Identifier', 4: 'Unsupported Optional Parameter',
    6: 'Unacceptable Hold Time', 7: 'Unsupported Capability',
  }],
  3: ['UPDATE Message Error', {
    1: 'Malformed Attribute List', 2: 'Unrecognized Well-known Attribute', 3: 'Missing Well-known Attribute',
    4: 'Attribute Flags Error', 5: 'Attribute Length Error', 6: 'Invalid ORIGIN Attribute', 8: 'Invalid NEXT_HOP Attribute',
    9: 'Optional Attribute Error', 10: 'Invalid Network Field', 11: 'Malformed AS_PATH',
  }],
  4: ['Hold Timer Expired', {}],
  5: ['Finite State Machine Error', { 1: 'Unexpected message in OpenSent', 2: 'Unexpected message in OpenConfirm', 3: 'Unexpected message in Established' }],
  6: ['Cease', {
    1: 'Maximum Number of Prefixes Reached', 2: 'Administrative Shutdown', 3: 'Peer De-configured', 4: 'Administrative Reset',
    5: 'Connection Rejected', 6: 'Other Configuration Change', 7: 'Connection Collision Resolution', 8: 'Out of Resources', 9: 'Hard Reset', 10: 'BFD Down',
  }],
  7: ['ROUTE-REFRESH Message Error', { 1: 'Invalid Message Length' }],
};

/** Human name of a NOTIFICATION code/subcode, e.g. `Cease/Administrative Shutdown (6/2)`. */
export function describeError(code: number, subcode: number): string {
  const entry = NAMES[code];
  const name = entry ? entry[0] : `Unknown error ${code}`;
  const sub = entry?.[1][subcode];
  return `${name}${sub ? '/' + sub : subcode ? '/subcode ' + subcode : ''} (${code}/${subcode})`;
}

/** NOTIFICATION message body (RFC 4271 §4.5). */
export class Notification {
  readonly errorCode: number;
  readonly subcode: number;
  readonly data: Buffer;

  constructor(errorCode: number, subcode: number, data: Buffer = Buffer.alloc(0)) {
    if (!Number.isInteger(errorCode) || errorCode < 0 || errorCode > 255) throw new CodecInputError(`invalid error code ${errorCode}`);
    if (!Number.isInteger(subcode) || subcode < 0 || subcode > 255) throw new CodecInputError(`invalid subcode ${subcode}`);
    this.errorCode = errorCode;
    this.subcode = subcode;
    this.data = data;
  }

  /** The NOTIFICATION for a session-reset MessageError. */
  static fromError(err: MessageErrorType): Notification {
    return new Notification(err.errorCode, err.subcode, err.data);
  }

  /**
   * Cease/Administrative Shutdown with an optional shutdown communication (RFC 9003: length
   * octet then UTF-8, at most 255 octets).
   */
  static adminShutdown(message = ''): Notification {
    const text = Buffer.from(message, 'utf8').subarray(0, 255);
    const data = text.length ? Buffer.concat([Buffer.from([text.length]), text]) : Buffer.alloc(0);
    return new Notification(ERR.CEASE, CEASE_SUB.ADMIN_SHUTDOWN, data);
  }

  /** RFC 9003 shutdown communication carried by Cease 2 or 4, when present and well formed. */
  shutdownMessage(): string | undefined {
    if (this.errorCode !== ERR.CEASE || (this.subcode !== 2 && this.subcode !== 4) || this.data.length < 1) return undefined;
    const n = this.data[0]!;
    if (n + 1 > this.data.length) return undefined;
    return this.data.subarray(1, 1 + n).toString('utf8');
  }

  toString(): string {
    return describeError(this.errorCode, this.subcode);
  }

  encode(): Buffer {
    return Buffer.concat([Buffer.from([this.errorCode, this.subcode]), this.data]);
  }

  static decode(body: Buffer): Notification {
    if (body.length < 2) {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(body.length + 19, 0);
      throw new MessageError(ERR.HEADER, HEADER_SUB.BAD_LENGTH, 'NOTIFICATION shorter than 21 octets', { data: len });
    }
    return new Notification(body[0]!, body[1]!, Buffer.from(body.subarray(2)));
  }
}
