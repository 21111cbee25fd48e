import { join } from 'node:path';
import { Lab } from './lab';
import { runFailoverScenario } from './scenario';

/**
 * `npm run lab`: builds the anycast lab (router with BIRD 2, three anycast DNS nodes with BGP
 * sidecars, a client), runs the failover scenario, prints the figures and removes everything —
 * also on failure and on Ctrl-C.
 */
async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    process.stderr.write('npm run lab needs root (network namespaces)\n');
    return 3;
  }
  const root = join(__dirname, '..', '..', '..');
  const log = (s: string) => process.stdout.write(`lab: ${s}\n`);
  const lab = new Lab(root, log);
  const stop = () => {
    lab.destroy();
    process.stderr.write('lab: interrupted, cleaned up\n');
    process.exit(130);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await lab.start();
    const r = await runFailoverScenario(lab, log);
    process.stdout.write(
      [
        '',
        'anycast failover',
        `  failed node:             ${r.failed} (DNS killed with SIGKILL)`,
        `  answered afterwards by:  ${r.after ?? 'nobody'}`,
        `  failed queries:          ${r.failedQueries} (client queries every 100 ms, 1 s timeout)`,
        `  seconds without answers: ${r.secondsWithoutAnswers.toFixed(3)}`,
        `  route withdrawn:         ${r.withdrawn ? 'yes' : 'NO'}`,
        `  route restored:          ${r.restored ? `yes, ${r.secondsToRestore.toFixed(3)} s after the DNS restart` : 'NO'}`,
        '',
      ].join('\n'),
    );
    return r.withdrawn && r.restored && r.after ? 0 : 1;
  } catch (err) {
    process.stderr.write(`lab: ${(err as Error).message}\n`);
    return 1;
  } finally {
    lab.destroy();
  }
}

void main().then((code) => process.exit(code));
