/**
 * Zonemaster over the example zones served by anypick, delegated: in a network namespace of its
 * own, one `anypick serve` answers zones/ on the name servers' addresses (port 53, as Zonemaster
 * asks), a second serves a stand-in root zone (test/interop/zonemaster/root.zone) that delegates
 * them, and `zonemaster-cli --hints` starts from that root — the commands of docs/operations.md
 * "Zonemaster", run as written. No CRITICAL, and no ERROR beyond the documented ones.
 */
import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAIN } from '../support/anypick';
import { REPO_ROOT } from '../support/seed';
import { canUseNetns, requireTools } from '../support/tools';

const FIXTURES = join(REPO_ROOT, 'test', 'interop', 'zonemaster');
/** The name servers of zones/example.com.zone, and the stand-in root. */
const NS_ADDRESSES = ['192.0.2.53', '192.0.2.54', '2001:db8::53', '2001:db8:1::53'];
const ROOT_ADDRESS = '192.0.2.1';

/**
 * What Zonemaster reports at ERROR that the example configuration causes, with why (the same
 * list as docs/operations.md): only the documentation addresses, which a real deployment does
 * not use.
 */
export const EXPECTED_ERRORS: Record<string, string> = {
  NAMESERVER_IP_PRIVATE_NETWORK: 'the example name servers use documentation addresses (RFC 5737, RFC 3849)',
};

/** The `zonemaster-cli …` lines of the doc's ```sh zonemaster``` block. */
function docCommands(): string[][] {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'operations.md'), 'utf8');
  const block = /^```sh zonemaster\n([\s\S]*?)^```$/m.exec(doc)?.[1];
  if (!block) throw new Error('docs/operations.md has no ```sh zonemaster block');
  return block.split('\n').filter((l) => l.startsWith('zonemaster-cli ')).map((l) => l.trim().split(/\s+/));
}

/** `level tag` of each message line of `zonemaster-cli --raw` output. */
function messages(out: string): Array<{ level: string; tag: string; line: string }> {
  return out
    .split('\n')
    .map((line) => ({ m: /^\s*[\d.]+\s+(CRITICAL|ERROR|WARNING|NOTICE|INFO)\s+(?:\S+\s+\S+\s+)?([A-Z0-9_]+)\b/.exec(line), line }))
    .filter((x) => x.m)
    .map((x) => ({ level: x.m![1]!, tag: x.m![2]!, line: x.line.trim() }));
}

describe('interop: Zonemaster over the example zones served by anypick (delegated from a stand-in root)', function () {
  this.timeout(120_000);
  const ns = `apzm${process.pid}`;
  const serves: ChildProcess[] = [];
  const inNs = (cmd: string, args: string[]): string => execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', cwd: FIXTURES, stdio: ['ignore', 'pipe', 'pipe'], timeout: 100_000 });

  /** Starts `anypick serve ARGS` inside the namespace; resolves once it serves. */
  const serve = (args: string[]): Promise<void> => {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, MAIN, 'serve', ...args, '--http', '127.0.0.1:0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    serves.push(child);
    let log = '';
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`serve did not start:\n${log}`)), 20_000);
      child.stderr!.on('data', (d: Buffer) => {
        log += d.toString();
        if (log.includes('"msg":"serving"')) {
          clearTimeout(t);
          resolve();
        }
      });
      child.once('exit', (c) => reject(new Error(`serve exited ${c}:\n${log}`)));
    });
  };

  before(async function () {
    requireTools(this, 'zonemaster-cli', 'ip');
    if (!canUseNetns()) {
      if (process.env.CI) throw new Error('network namespaces are needed (root with iproute2)');
      this.skip();
    }
    execFileSync('ip', ['netns', 'add', ns]);
    inNs('ip', ['link', 'set', 'lo', 'up']);
    for (const a of [...NS_ADDRESSES, ROOT_ADDRESS]) inNs('ip', a.includes(':') ? ['-6', 'addr', 'add', `${a}/128`, 'dev', 'lo', 'nodad'] : ['addr', 'add', `${a}/32`, 'dev', 'lo']);
    await serve([join(REPO_ROOT, 'zones'), join(REPO_ROOT, 'bgp'), '--geoip-db', join(REPO_ROOT, 'geo-data', 'sample.mmdb'), ...NS_ADDRESSES.flatMap((a) => ['--dns', a.includes(':') ? `[${a}]:53` : `${a}:53`])]);
    await serve([join(FIXTURES, 'root.zone'), '--geoip-db', 'none', '--dns', `${ROOT_ADDRESS}:53`]);
  });
  after(() => {
    for (const c of serves) c.kill('SIGKILL');
    try {
      execFileSync('ip', ['netns', 'del', ns]);
    } catch {
      /* not made */
    }
  });

  it('the doc runs Zonemaster on every zone of zones/', () => {
    const zones = docCommands().map((c) => c[1]);
    expect(zones).to.have.members(['example.com', '2.0.192.in-addr.arpa']);
  });

  for (const zone of ['example.com', '2.0.192.in-addr.arpa']) {
    it(`${zone}: no CRITICAL, no ERROR but the documented ones`, () => {
      const cmd = docCommands().find((c) => c[1] === zone)!;
      const out = inNs(cmd[0]!, cmd.slice(1));
      const found = messages(out);
      // The run got as far as the zone's own tests (not stopped at the delegation).
      expect(found.length, out).to.be.greaterThan(0);
      expect(found.filter((m) => m.level === 'CRITICAL'), out).to.deep.equal([]);
      const unexpected = found.filter((m) => m.level === 'ERROR' && !(m.tag in EXPECTED_ERRORS));
      expect(unexpected, out).to.deep.equal([]);
      const warnings = [...new Set(found.filter((m) => m.level === 'WARNING').map((m) => m.tag))];
      expect(warnings, out).to.deep.equal(['NAMESERVER_IP_WITHOUT_REVERSE']);
    });
  }

  it('reports CRITICAL when the zone is delegated to an address nothing answers on (the check can fail)', () => {
    const out = inNs('zonemaster-cli', ['example.com', '--ns', 'ns1.example.com/192.0.2.99', '--level', 'CRITICAL', '--raw', '--no-progress', '--no-ipv6']);
    expect(messages(out).some((m) => m.level === 'CRITICAL'), out).to.equal(true);
  });
});
