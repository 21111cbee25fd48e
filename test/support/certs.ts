/**
 * Self-signed test certificates made at test time with openssl (never committed): one
 * certificate per name, each its own CA, so a client that verifies against one name's
 * certificate proves which certificate the server chose.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Files of one generated certificate. */
export interface TestCert {
  name: string;
  cert: string;
  key: string;
}

/** A directory of generated certificates; `remove()` deletes it. */
export class TestCerts {
  readonly dir = mkdtempSync(join(tmpdir(), 'anypick-certs-'));

  /** Generates (or regenerates) a certificate for `name` (CN and subjectAltName DNS). */
  make(name: string, file = name): TestCert {
    const cert = join(this.dir, `${file}.crt`);
    const key = join(this.dir, `${file}.key`);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`, '-keyout', key, '-out', cert], { stdio: 'ignore' });
    return { name, cert, key };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
