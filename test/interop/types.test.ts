/**
 * Every record type of the type zones (HTTPS, SVCB, LOC, DNSKEY, URI, TLSA, generic TYPEnnn,
 * DNSSEC records as data, …): the zone files pass `anypick check`, Knot's checker
 * (`knotc zone-check`; Debian's knot ships no kzonecheck) and `named-checkzone`, and `anypick
 * serve` answers each RRset, type by type, with exactly the records BIND reads from the same
 * file (`named-compilezone` output compared with `dig` output of the served answer).
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireTools } from '../support/tools';
import { MAIN, startServe } from '../dns/serve-process';
import type { ServeProcess } from '../dns/serve-process';
import { KNOTC, knotConfig } from './support/knot';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..', '..', 'test', 'interop');
const ZONES = [
  { origin: 'types.test', file: join(ROOT, 'zones', 'types.test.zone') },
  { origin: 'signed.test', file: join(ROOT, 'zones-dnssec', 'signed.test.zone') },
];

/** `name ttl TYPE rdata` with the RDATA's whitespace removed (BIND splits long fields). */
function normalise(lines: string): string[] {
  return lines
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith(';'))
    .map((l) => {
      const [name, ttl, , type, ...rdata] = l.trim().split(/\s+/);
      return `${name} ${ttl} ${type} ${rdata.join('')}`;
    })
    .sort();
}

describe('record types: checked by anypick, Knot and BIND, served type by type', function () {
  this.timeout(120000);
  let srv: ServeProcess | undefined;

  before(async function () {
    requireTools(this, 'dig', 'named-checkzone', 'named-compilezone', 'knotd');
    srv = await startServe([join(ROOT, 'zones', 'types.test.zone'), join(ROOT, 'zones-dnssec')]);
  });
  after(async () => {
    await srv?.stop();
  });

  for (const z of ZONES) {
    it(`${z.origin}: anypick check, knotc zone-check and named-checkzone accept it`, async () => {
      await run(process.execPath, [MAIN, 'check', z.file]);
      await run('named-checkzone', [z.origin, z.file]);
      const dir = mkdtempSync(join(tmpdir(), `anypick-kcheck-${process.pid}-`));
      try {
        writeFileSync(join(dir, 'knot.conf'), knotConfig(dir, 53, [z]));
        await run(KNOTC, ['-c', join(dir, 'knot.conf'), 'zone-check', z.origin]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it(`${z.origin}: every RRset is answered for its own type, as BIND reads the file`, async () => {
      const { stdout } = await run('named-compilezone', ['-q', '-o', '-', z.origin, z.file]);
      const bind = normalise(stdout);
      const sets = new Map<string, string[]>();
      for (const l of bind) {
        const [name, , type] = l.split(' ');
        const k = `${name} ${type}`;
        sets.set(k, [...(sets.get(k) ?? []), l]);
      }
      expect(sets.size, 'RRsets in the zone').to.be.greaterThan(4);
      for (const [k, want] of sets) {
        const [name, type] = k.split(' ') as [string, string];
        const { stdout: got } = await run('dig', ['@127.0.0.1', '-p', String(srv!.port), '+tcp', '+norec', '+noall', '+answer', name, type]);
        expect(normalise(got), `${name} ${type}`).to.deep.equal(want);
      }
    });
  }
});
