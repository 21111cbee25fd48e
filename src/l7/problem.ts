/**
 * RFC 9457 problem details: every rejection and every gateway error of the L7 tiers is an
 * `application/problem+json` body that says what failed.
 */
import type { ServerResponse } from 'node:http';

/** RFC 9457 §3.1 members plus the extension members anypick adds. */
export interface Problem {
  /** RFC 9457 §3.1.1: a URI reference identifying the problem type. */
  type: string;
  /** §3.1.3: short, human-readable summary of the type. */
  title: string;
  /** §3.1.2: the HTTP status code. */
  status: number;
  /** §3.1.4: explanation specific to this occurrence. */
  detail: string;
  /** Extension: the failures found (e.g. schema errors), each `where: what`. */
  errors?: { where: string; message: string }[];
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** Thrown or returned when a request is refused; `status` maps to the HTTP status code. */
export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  readonly code: string;
  readonly status: number;
  readonly errors?: { where: string; message: string }[];
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, detail: string, opts: { errors?: { where: string; message: string }[]; headers?: Record<string, string> } = {}) {
    super(detail);
    this.status = status;
    this.code = code;
    this.errors = opts.errors;
    this.headers = opts.headers ?? {};
  }

  /** The RFC 9457 body. `type` is a tag URI naming the stable code. */
  toProblem(): Problem {
    const p: Problem = {
      type: `tag:anypick,2026:${this.code}`,
      title: TITLES[this.status] ?? 'Error',
      status: this.status,
      detail: this.message,
    };
    if (this.errors?.length) p.errors = this.errors;
    return p;
  }
}

/**
 * `err` as a whole HTTP/1.1 response that closes the connection, for a socket node:http no
 * longer manages (parse errors, refused upgrades).
 */
export function rawProblemResponse(err: ProblemError): string {
  const body = JSON.stringify(err.toProblem()) + '\n';
  const extra = Object.entries(err.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return `HTTP/1.1 ${err.status} ${TITLES[err.status] ?? 'Error'}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}connection: close\r\n\r\n${body}`;
}

/**
 * Writes `err` as an `application/problem+json` response (the connection is reset when the
 * response was already started). `close` asks an HTTP/1.1 client to close the connection;
 * HTTP/2 has no Connection header (RFC 9113 §8.2.2), its streams end on their own.
 */
export function sendProblem(res: ServerResponse, err: ProblemError, close = false): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(err.toProblem()) + '\n';
  const headers: Record<string, string | number> = {
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(body),
    ...err.headers,
  };
  if (close && !('stream' in res)) headers.connection = 'close';
  res.writeHead(err.status, headers);
  res.end(body);
}
