/**
 * A DNS node assembled from anypick's own pieces — the DNS server, the datacenter pick
 * responders with the sample geo database, the signals registry and receiver — exactly as
 * `anypick serve` assembles them. The failover benchmark runs it as a child process when asked
 * for `--target pieces` (used before `serve` hosted the receiver; kept to compare).
 *
 * Usage: node dist/bench/failover/node.js DIR TOKENS_FILE LEASE_MS
 * Prints one JSON line {"dns": PORT, "signals": PORT} on stdout once listening.
 */
import { loadPaths } from '../../src/config/load';
import { startDnsServer } from '../../src/dns/server';
import { datacenterResponders } from '../../src/pick/datacenter-responder';
import { datacenterServices } from '../../src/pick/datacenter-services';
import { openGeoOption } from '../../src/cli/geo-option';
import { signalsConfigFromModel } from '../../src/signals/from-model';
import { startSignalsReceiver } from '../../src/signals/receiver';
import { MemberRegistry } from '../../src/signals/registry';
import { TokenStore } from '../../src/signals/tokens';
import { createLogger } from '../../src/util/log';

async function main(): Promise<void> {
  const [dir, tokensFile, leaseArg] = process.argv.slice(2);
  if (!dir || !tokensFile) throw new Error('usage: node.js DIR TOKENS_FILE [LEASE_MS]');
  const logger = createLogger('warn', 'bench-node');
  const loaded = loadPaths([dir]);
  if (loaded.errors.length) throw new Error(loaded.errors.map((e) => e.format()).join('\n'));
  const cfg = signalsConfigFromModel(loaded.model);
  const leaseMs = leaseArg ? Number(leaseArg) : cfg.leaseMs;
  const registry = new MemberRegistry({ leaseMs, graceMs: 0, weight: cfg.weight });
  const geo = openGeoOption(undefined, { watch: false, log: logger });
  const dynamic = datacenterResponders(datacenterServices(loaded.model), { geo, state: registry });
  const dns = await startDnsServer({ listen: [{ host: '127.0.0.1', port: 0 }], zones: loaded.zones, dynamic, logger });
  const rx = await startSignalsReceiver({ listen: '127.0.0.1:0', registry, tokens: TokenStore.load(tokensFile)!, blocks: cfg.blocks, logger });
  process.stdout.write(JSON.stringify({ dns: dns.addresses()[0]!.port, signals: rx.address().port }) + '\n');
  const stop = (): void => {
    setTimeout(() => process.exit(0), 1000).unref();
    void Promise.all([dns.close(), rx.close()]).finally(() => {
      registry.close();
      geo?.close();
      process.exit(0);
    });
  };
  process.once('SIGTERM', stop);
  // The benchmark holds our stdin open: when it dies, we go too.
  process.stdin.on('end', stop).resume();
}

main().catch((err: unknown) => {
  process.stderr.write(`bench node: ${(err as Error).message}\n`);
  process.exit(3);
});
