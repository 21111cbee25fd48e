import { EXIT, UsageError } from '../command';
import type { Command } from '../command';
import { createLogger, LOG_LEVELS } from '../../util/log';
import type { LogLevel } from '../../util/log';
import { parseHostPort } from '../../util/host-port';
import { loadBgpConfigs } from '../../bgp/load';
import { startBgp } from '../../bgp/run';

/** `anypick bgp [PATH…]`: the BGP anycast sidecar on its own. */
export const bgpCommand: Command = {
  name: 'bgp',
  summary: 'announce the anycast prefix over BGP while the DNS check passes',
  usage: `Usage: anypick bgp [PATH…] [--status-http ADDR:PORT] [--disable-file FILE] [--log-level LEVEL]

Loads *.zone and *.delivery files under PATH (default: zones bgp) and runs one announcer per
process with 'bgp: PROCESS.CHECK': BGP sessions to every 'routes neighbor', the prefix
announced while the check passes and withdrawn after 'fall' failures.

  --status-http ADDR:PORT  serve GET /status (JSON), GET /metrics, POST /drain, POST /enable
  --disable-file FILE      while FILE exists: drain (GRACEFUL_SHUTDOWN, wait, withdraw, Cease)
  --log-level LEVEL        ${LOG_LEVELS.join('|')} (default info)

SIGTERM drains and exits 0; SIGINT withdraws at once (Cease) and exits 0.
See docs/bgp.md.`,
  options: {
    'status-http': { type: 'string' },
    'disable-file': { type: 'string' },
    'log-level': { type: 'string' },
  },
  async run(values, positionals) {
    const level = (values['log-level'] as string | undefined) ?? 'info';
    if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
    const statusHttp = values['status-http'] as string | undefined;
    if (statusHttp !== undefined) {
      try {
        parseHostPort(statusHttp, { listen: true });
      } catch (err) {
        throw new UsageError(`--status-http ${statusHttp}: expected ADDR:PORT, e.g. 127.0.0.1:8179 or [::1]:8179 (${(err as Error).message})`);
      }
    }
    const log = createLogger(level as LogLevel, 'anypick-bgp');
    const loaded = loadBgpConfigs(positionals);
    for (const w of loaded.warnings) process.stderr.write(w + '\n');
    for (const e of loaded.errors) process.stderr.write(e + '\n');
    if (loaded.errors.length) return EXIT.INVALID;
    if (loaded.configs.length === 0) {
      process.stderr.write("anypick bgp: no process with 'bgp: PROCESS.CHECK' found\n");
      return EXIT.INVALID;
    }
    const rt = await startBgp({
      configs: loaded.configs, log,
      statusHttp,
      disableFile: values['disable-file'] as string | undefined,
    });
    if (rt.statusAddress) process.stdout.write(`status http://${rt.statusAddress}/status\n`);
    return new Promise<number>((resolve) => {
      let stopping = false;
      const finish = async (drain: boolean) => {
        if (stopping) return;
        stopping = true;
        if (drain) await rt.drain();
        await rt.stop();
        resolve(EXIT.OK);
      };
      process.once('SIGTERM', () => void finish(true));
      process.once('SIGINT', () => void finish(false));
    });
  },
};
