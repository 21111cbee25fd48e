import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { SecureContextOptions } from 'node:tls';

/** PEM files of a TLS listener: certificate chain, private key, optional client CA (mTLS). */
export interface TlsFiles {
  cert: string;
  key: string;
  /** When set, clients must present a certificate signed by this CA (the token is still required). */
  clientCa?: string;
}

/** A certificate, key or CA file that cannot be read or does not form a usable context. */
export class TlsFilesError extends Error {
  override readonly name = 'TlsFilesError';
  readonly code = 'E_TLS_FILES';
}

function read(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new TlsFilesError(`cannot read TLS ${what} ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Reads the PEM files and checks they make a secure context (a key that does not match the
 * certificate fails here, at load time, not on the first handshake). The result goes to
 * https.createServer or server.setSecureContext.
 */
export function loadTls(files: TlsFiles): SecureContextOptions {
  const opts: SecureContextOptions = { cert: read(files.cert, 'certificate'), key: read(files.key, 'key') };
  if (files.clientCa) opts.ca = read(files.clientCa, 'client CA');
  try {
    createSecureContext(opts);
  } catch (err) {
    throw new TlsFilesError(`TLS files ${files.cert} / ${files.key}${files.clientCa ? ` / ${files.clientCa}` : ''} do not form a usable context: ${(err as Error).message}`, { cause: err });
  }
  return opts;
}
