/**
 * What to do with a malformed message (RFC 7606 §2): reset the session with a NOTIFICATION,
 * treat the UPDATE's routes as withdrawn, or discard only the broken attribute.
 */
export type ErrorAction = 'session-reset' | 'treat-as-withdraw' | 'attribute-discard';

/**
 * A protocol error found while decoding or handling a message. It maps one-to-one onto a
 * NOTIFICATION (code, subcode, data) when its action is `session-reset`.
 */
export class MessageError extends Error {
  override readonly name = 'MessageError';
  /** Stable error code for callers and tests. */
  readonly code = 'E_BGP_MESSAGE';
  /** NOTIFICATION error code (RFC 4271 §4.5). */
  readonly errorCode: number;
  /** NOTIFICATION error subcode. */
  readonly subcode: number;
  /** NOTIFICATION data field. */
  readonly data: Buffer;
  /** RFC 7606 action. */
  readonly action: ErrorAction;

  constructor(errorCode: number, subcode: number, message: string, opts: { data?: Buffer; action?: ErrorAction } = {}) {
    super(message);
    this.errorCode = errorCode;
    this.subcode = subcode;
    this.data = opts.data ?? Buffer.alloc(0);
    this.action = opts.action ?? 'session-reset';
  }
}

/** Thrown by codec constructors for values that cannot be encoded (a programming or config error). */
export class CodecInputError extends TypeError {
  override readonly name = 'CodecInputError';
  readonly code = 'E_BGP_CODEC_INPUT';
}
