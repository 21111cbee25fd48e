/**
 * `control NAME: uri: "SCHEME://HOST[:PORT]/PATH"` — the URI part of admission. The path may
 * contain `*`, which matches any run of characters including `/` (so `/api/*` admits `/api/a/b`
 * and `/api/`); scheme and host compare case-insensitively (RFC 3986 §6.2.2.1), the path exactly.
 */

/** The parts of a request that the URI pattern looks at. */
export interface RequestUri {
  scheme: string;
  /** Host without port, lower case (IPv6 without brackets). */
  host: string;
  port?: number;
  /** Path without the query. */
  path: string;
}

/** A compiled URI pattern. */
export interface UriPattern {
  text: string;
  /** The compiled parts (regular expressions anchored at both ends), e.g. for HAProxy ACLs. */
  parts: { scheme: string; host: RegExp; port?: number; path: RegExp };
  matches(uri: RequestUri): boolean;
}

/** Thrown at load for a pattern that cannot be compiled. */
export class UriPatternError extends Error {
  override readonly name = 'UriPatternError';
  readonly code = 'E_URI_PATTERN';
}

function globToRegExp(glob: string): RegExp {
  const parts = glob.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*')}$`);
}

/** Compiles a `uri:` value (`text` as written, or the model's parsed parts). */
export function compileUriPattern(p: { text: string; scheme: string; host: string; port?: number; path: string }): UriPattern {
  if (!/^[a-z][a-z0-9+.-]*$/i.test(p.scheme)) throw new UriPatternError(`invalid scheme in '${p.text}'`);
  if (!p.path.startsWith('/')) throw new UriPatternError(`path must start with '/' in '${p.text}'`);
  const scheme = p.scheme.toLowerCase();
  const host = globToRegExp(p.host.toLowerCase());
  const path = globToRegExp(p.path);
  const defaultPort = scheme === 'https' ? 443 : scheme === 'http' ? 80 : undefined;
  return {
    text: p.text,
    parts: { scheme, host, port: p.port, path },
    matches(uri: RequestUri): boolean {
      if (uri.scheme.toLowerCase() !== scheme) return false;
      if (!host.test(uri.host.toLowerCase())) return false;
      if (p.port !== undefined && (uri.port ?? defaultPort) !== p.port) return false;
      return path.test(uri.path);
    },
  };
}

/** Parses a pattern string such as `https://example.com/api/*` (for tests and tools). */
export function parseUriPattern(text: string): UriPattern {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(\[[^\]]+\]|[^/:]+)(?::(\d+))?(\/.*)?$/i.exec(text);
  if (!m) throw new UriPatternError(`not a SCHEME://HOST/PATH pattern: '${text}'`);
  const host = m[2].replace(/^\[|\]$/g, '');
  return compileUriPattern({ text, scheme: m[1], host, port: m[3] ? Number(m[3]) : undefined, path: m[4] ?? '/' });
}
