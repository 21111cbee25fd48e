/**
 * TLS certificates for servers: pairs of PEM certificate and key files (`--tls-cert FILE
 * --tls-key FILE`, repeatable), the names each certificate covers (subjectAltName DNS entries,
 * else the subject CN), SNI selection (RFC 6066 §3) and reload (SIGHUP) that keeps the last good
 * set when a file is missing or a key does not match its certificate. Any TLS server of the
 * project (the L7 tiers, the signals receivers) can use it: `serverOptions()` for
 * `tls.createServer`/`https.createServer`, `attach(server)` so a reload also replaces the
 * default certificate of clients that send no SNI. With a client CA (`clientCa`), clients must
 * present a certificate it signed (mutual TLS); the CA file is re-read with the pairs.
 */
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import type { SecureContext, Server as TlsServer, TlsOptions } from 'node:tls';

/** One `--tls-cert FILE --tls-key FILE` pair. */
export interface CertKeyFiles {
  cert: string;
  key: string;
}

/**
 * The files of one TLS listener with an optional client CA, as plain data (it crosses into the
 * signals receiver's worker thread, which loads it there with `TlsCertificates.load`).
 */
export interface TlsFiles extends CertKeyFiles {
  clientCa?: string;
}

/** How a set is loaded: an optional client CA, and the option names errors cite. */
export interface TlsLoadOptions {
  /** PEM CA file: clients must present a certificate signed by it (mutual TLS). */
  clientCa?: string;
  /** Option prefix in error messages: `--tls` (default) → `--tls-cert F --tls-key F`, `--tls-client-ca F`. */
  flag?: string;
}

/** Thrown when a pair cannot be loaded; `message` names the files. */
export class TlsLoadError extends Error {
  override readonly name = 'TlsLoadError';
  readonly code = 'E_TLS_LOAD';
}

/** A loaded pair: its context and the DNS names it serves. */
export interface LoadedCert {
  files: CertKeyFiles;
  names: string[];
  /** Certificate validity end (for status and logs). */
  validTo: string;
  cert: Buffer;
  key: Buffer;
  context: SecureContext;
}

/** DNS names of a certificate: subjectAltName `DNS:` entries, else the subject's CN. */
export function certificateNames(x: X509Certificate): string[] {
  const san = x.subjectAltName;
  if (san) {
    const dns = san
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.startsWith('DNS:'))
      .map((s) => s.slice(4).toLowerCase());
    if (dns.length) return dns;
  }
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(x.subject);
  return cn ? [cn[1].trim().toLowerCase()] : [];
}

function loadPair(files: CertKeyFiles, ca: Buffer | undefined, flag: string): LoadedCert {
  const what = `${flag}-cert ${files.cert} ${flag}-key ${files.key}`;
  let cert: Buffer;
  let key: Buffer;
  try {
    cert = readFileSync(files.cert);
    key = readFileSync(files.key);
  } catch (err) {
    throw new TlsLoadError(`${what}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const x = new X509Certificate(cert);
    // createSecureContext checks that the key belongs to the certificate ("key values mismatch").
    // The client CA goes into every context: the one SNI picks is the one that verifies the client.
    const context = createSecureContext(ca ? { cert, key, ca } : { cert, key });
    return { files, names: certificateNames(x), validTo: x.validTo, cert, key, context };
  } catch (err) {
    throw new TlsLoadError(`${what}: ${(err as Error).message}`, { cause: err });
  }
}

function loadCa(file: string, flag: string): Buffer {
  let ca: Buffer;
  try {
    ca = readFileSync(file);
  } catch (err) {
    throw new TlsLoadError(`${flag}-client-ca ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    // createSecureContext ignores text that is no certificate: a CA file must hold at least one.
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate in the file');
    new X509Certificate(ca);
    createSecureContext({ ca });
  } catch (err) {
    throw new TlsLoadError(`${flag}-client-ca ${file}: ${(err as Error).message}`, { cause: err });
  }
  return ca;
}

/**
 * A set of certificates chosen by SNI. The first pair is the default (clients without SNI,
 * names no certificate covers). Exact names win over wildcards (`*.example.com` covers one
 * label, RFC 6125 §6.4.3).
 */
export class TlsCertificates {
  private certs: LoadedCert[];
  private ca: Buffer | undefined;
  private byName = new Map<string, LoadedCert>();
  private readonly servers = new Set<TlsServer>();
  private readonly flag: string;

  private constructor(private readonly files: CertKeyFiles[], private readonly opts: TlsLoadOptions) {
    this.certs = [];
    this.flag = opts.flag ?? '--tls';
    this.loadAll();
  }

  /** Loads every pair (and the client CA); throws TlsLoadError (naming the files) when one fails. */
  static load(files: CertKeyFiles[], opts: TlsLoadOptions = {}): TlsCertificates {
    const flag = opts.flag ?? '--tls';
    if (files.length === 0) throw new TlsLoadError(`no certificate given (${flag}-cert FILE ${flag}-key FILE)`);
    return new TlsCertificates(files, opts);
  }

  /** Whether clients must present a certificate (a client CA is set). */
  get mutual(): boolean {
    return this.opts.clientCa !== undefined;
  }

  private loadAll(): void {
    const ca = this.opts.clientCa === undefined ? undefined : loadCa(this.opts.clientCa, this.flag);
    const certs = this.files.map((f) => loadPair(f, ca, this.flag));
    const byName = new Map<string, LoadedCert>();
    for (const c of certs) for (const n of c.names) if (!byName.has(n)) byName.set(n, c);
    this.certs = certs;
    this.ca = ca;
    this.byName = byName;
    for (const s of this.servers) s.setSecureContext(this.defaultOptions());
  }

  /** The loaded certificates (names, validity) for status and logs. */
  list(): { cert: string; names: string[]; validTo: string }[] {
    return this.certs.map((c) => ({ cert: c.files.cert, names: c.names, validTo: c.validTo }));
  }

  /** The loaded pairs in order (the first is the default), PEM included, e.g. for another TLS stack. */
  loaded(): readonly LoadedCert[] {
    return this.certs;
  }

  /** The certificate for an SNI server name (RFC 6066 §3), else the default one. */
  select(servername: string | undefined): LoadedCert {
    if (servername) {
      const n = servername.toLowerCase().replace(/\.$/, '');
      const exact = this.byName.get(n);
      if (exact) return exact;
      const dot = n.indexOf('.');
      if (dot > 0) {
        const wild = this.byName.get(`*${n.slice(dot)}`);
        if (wild) return wild;
      }
    }
    return this.certs[0];
  }

  private defaultOptions(): { cert: Buffer; key: Buffer; ca?: Buffer } {
    const d = { cert: this.certs[0].cert, key: this.certs[0].key };
    return this.ca ? { ...d, ca: this.ca } : d;
  }

  /** Options for `tls.createServer` / `https.createServer` / `http2.createSecureServer`. */
  serverOptions(): TlsOptions {
    return {
      ...this.defaultOptions(),
      ...(this.mutual ? { requestCert: true, rejectUnauthorized: true } : {}),
      SNICallback: (servername, cb) => cb(null, this.select(servername).context),
    };
  }

  /** Keeps `server`'s default certificate in step with reloads. */
  attach(server: TlsServer): void {
    this.servers.add(server);
    server.once('close', () => this.servers.delete(server));
  }

  /**
   * Reads every file again (SIGHUP). All pairs load or none is taken: on error the last good
   * set keeps serving and TlsLoadError says why. New handshakes use the new certificates;
   * connections already open keep theirs.
   */
  reload(): void {
    this.loadAll();
  }
}
