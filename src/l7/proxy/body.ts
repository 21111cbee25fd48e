/** Reading request bodies with a size limit and an idle timeout. */
import { Transform } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { ProblemError } from '../problem';

/** Buffers the whole body; rejects with ProblemError 413 past `limit`, 408 after `idleMs` of silence, 400 when the client aborts. */
export function readBody(req: IncomingMessage, limit: number, idleMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => done(new ProblemError(408, 'E_BODY_TIMEOUT', `no request body data for ${idleMs} ms`)), idleMs);
    };
    const done = (err?: Error, body?: Buffer): void => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', onError).off('aborted', onAborted);
      if (err) {
        req.resume();
        reject(err);
      } else resolve(body!);
    };
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > limit) return done(new ProblemError(413, 'E_BODY_TOO_LARGE', `request body exceeds ${limit} bytes`));
      chunks.push(c);
      arm();
    };
    const onEnd = (): void => done(undefined, Buffer.concat(chunks));
    const onError = (e: Error): void => done(new ProblemError(400, 'E_BODY_READ', `request body could not be read: ${e.message}`));
    const onAborted = (): void => done(new ProblemError(400, 'E_BODY_ABORTED', 'client aborted the request body'));
    req.on('data', onData).on('end', onEnd).on('error', onError).on('aborted', onAborted);
    arm();
  });
}

/** A pass-through that counts bytes and fails with ProblemError 413 past `limit` (streamed bodies). */
export class LimitedBody extends Transform {
  bytes = 0;
  constructor(private readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null, data?: Buffer) => void): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) cb(new ProblemError(413, 'E_BODY_TOO_LARGE', `request body exceeds ${this.limit} bytes`));
    else cb(null, chunk);
  }
}
