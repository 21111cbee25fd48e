/**
 * `anypick serve --dnstap unix:PATH|tcp:ADDR:PORT [--dnstap-sample N]`: every query and reply
 * as dnstap AUTH_QUERY/AUTH_RESPONSE over Frame Streams to a collector (src/dnstap). With
 * `--workers N` each worker has its own connection. Checked at start; a bad value is a usage error.
 */
import { hostname } from 'node:os';
import { DnstapTap } from '../../dnstap/tap';
import { DnstapTargetError, FstrmSender, formatDnstapTarget, parseDnstapTarget } from '../../dnstap/sender';
import type { DnstapDropReason, DnstapTarget } from '../../dnstap/sender';
import type { DnsObserver } from '../../dns/observer';
import type { Logger } from '../../util/log';
import { packageVersion } from '../../util/version';
import { UsageError, intOption, stringOption } from '../command';

/** parseArgs options. */
export const DNSTAP_SERVE_OPTIONS = {
  dnstap: { type: 'string' },
  'dnstap-sample': { type: 'string' },
} as const;

/** Usage lines for `serve --help`. */
export const DNSTAP_SERVE_USAGE = `  --dnstap unix:PATH|tcp:ADDR:PORT
                      send every query and reply as dnstap (AUTH_QUERY/AUTH_RESPONSE, Frame
                      Streams) to a collector (fstrm_capture, dnstap-read's input, dnsdist, …);
                      never slows DNS: while the collector is absent or slow, messages beyond
                      a queue of 10000 are dropped and counted (/metrics)
  --dnstap-sample N   send 1 query in N (with its reply; default 1: all)`;

/** A running dnstap output: the observer for the DNS server, its counters, and close. */
export interface ServeDnstap {
  observer: DnsObserver;
  counters(): { sent: number; dropped: Record<DnstapDropReason, number> };
  close(): Promise<void>;
}

/** `--dnstap-sample N` (1..1,000,000). */
function sampleOption(values: Record<string, unknown>): number {
  return intOption(values, 'dnstap-sample', 1, 1_000_000) ?? 1;
}

/** What `--dnstap` and `--dnstap-sample` ask for. */
export interface DnstapOptions {
  target: DnstapTarget;
  sample: number;
}

/** Parses `--dnstap`/`--dnstap-sample` (undefined without `--dnstap`); UsageError on bad values. */
export function dnstapOptions(values: Record<string, unknown>): DnstapOptions | undefined {
  const spec = stringOption(values, 'dnstap');
  const sample = sampleOption(values);
  if (spec === undefined) {
    if (values['dnstap-sample'] !== undefined) throw new UsageError('--dnstap-sample needs --dnstap');
    return undefined;
  }
  try {
    return { target: parseDnstapTarget(spec), sample };
  } catch (err) {
    if (err instanceof DnstapTargetError) throw new UsageError(`--dnstap ${err.message}`);
    throw err;
  }
}

/**
 * Starts the dnstap output (undefined when not asked for): connects in the background, so
 * the server starts whether or not the collector is there. `identity` is the NSID or the
 * host name.
 */
export function startDnstap(opts: DnstapOptions | undefined, logger: Logger, identity: string | undefined): ServeDnstap | undefined {
  if (!opts) return undefined;
  const sender = new FstrmSender({ target: opts.target, logger });
  const tap = new DnstapTap(sender, { sample: opts.sample, identity: identity ?? hostname(), version: `anypick ${packageVersion()}` });
  logger.info({ target: formatDnstapTarget(opts.target), sample: opts.sample }, 'dnstap output configured');
  return {
    observer: tap,
    counters: () => {
      const c = sender.counters();
      return { sent: c.sent, dropped: c.dropped };
    },
    close: () => sender.close(),
  };
}
