/**
 * `ADDR:PORT` — the one grammar for a listen address or a target on a command line or in a
 * delivery file: `192.0.2.1:53`, `[2001:db8::1]:53` (IPv6 always in brackets, RFC 3986 §3.2.2),
 * or `name.example:53` where a host name is allowed. Ports are decimal 1..65535; 0 (any free
 * port) only where `listen` says so. Pure; no name resolution.
 */
import { isIpAddress } from './ip';

/** Text that is not `ADDR:PORT`; `offset` is the character index of the bad part. */
export class HostPortError extends Error {
  override readonly name = 'HostPortError';
  readonly code = 'E_HOST_PORT';
  constructor(
    message: string,
    readonly offset = 0,
  ) {
    super(message);
  }
}

/** A host (address text without brackets, or a name) and a port. */
export interface HostPort {
  host: string;
  port: number;
}

/** The pieces of `ADDR:PORT` before validation, with where each starts in the text. */
export interface HostPortParts {
  host: string;
  hostOffset: number;
  portText: string;
  portOffset: number;
  /** The host was written in brackets (`[V6]:PORT`). */
  bracketed: boolean;
}

/** What `parseHostPort` accepts beyond an IP literal and a port 1..65535. */
export interface HostPortOptions {
  /** Port 0 (the kernel picks a free port) is allowed: the text is a listen address. */
  listen?: boolean;
  /** A host name (`localhost:8053`) is allowed besides an IP literal. */
  names?: boolean;
}

const NAME = /^(?=.*[A-Za-z])[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/;

/** Splits `HOST:PORT` / `[HOST]:PORT` without judging the host or port; undefined when the shape is wrong. */
export function splitHostPort(text: string): HostPortParts | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)$/.exec(text);
  if (!m) return undefined;
  const bracketed = m[1] !== undefined;
  const portText = m[3]!;
  return { host: (m[1] ?? m[2])!, hostOffset: bracketed ? 1 : 0, portText, portOffset: text.length - portText.length, bracketed };
}

/**
 * Parses `ADDR:PORT` (see the module comment). Throws HostPortError naming what is wrong:
 * the shape, a host that is not an IP address (or name, with `names`), an IPv6 host without
 * brackets or an IPv4 one with them, or a port out of range.
 */
export function parseHostPort(text: string, opts: HostPortOptions = {}): HostPort {
  const p = splitHostPort(text);
  const want = `ADDR:PORT or [IPv6]:PORT${opts.names ? ' or NAME:PORT' : ''}`;
  if (!p) throw new HostPortError(`'${text}' is not ${want}`);
  const family = isIpAddress(p.host);
  if (family === 0 && !(opts.names && !p.bracketed && NAME.test(p.host))) {
    throw new HostPortError(
      `'${p.host}' in '${text}' is not an IP address${opts.names ? ' or host name' : ''} (want ${want})`,
      p.hostOffset,
    );
  }
  if ((family === 6) !== p.bracketed)
    throw new HostPortError(`'${text}': IPv6 addresses go in brackets, IPv4 addresses do not (want ${want})`, p.hostOffset);
  const port = Number(p.portText);
  const min = opts.listen ? 0 : 1;
  if (p.portText.length > 5 || port < min || port > 65535)
    throw new HostPortError(`port ${p.portText} in '${text}' out of range ${min}..65535`, p.portOffset);
  return { host: p.host, port };
}

/** `host:port`, with brackets around an IPv6 host. */
export function formatHostPort(hp: HostPort): string {
  return hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}
