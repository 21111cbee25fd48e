import type { DeliveryModel } from '../config/model';
import type { Zone } from '../zone/types';
import type { Logger } from '../util/log';
import type { BgpSessionStatus } from '../status/types';
import { bgpConfigsFromModel } from './adapter';
import { startBgp } from './run';
import { loadBgpConfigs } from './load';
import type { BgpRuntime } from './run';

/** The BGP sidecar running inside another command (`anypick serve --bgp`). */
export interface InProcessBgp {
  runtime: BgpRuntime;
  /** Sessions in the status hub's shape (`src/status/types.ts`). */
  sessions(): BgpSessionStatus[];
  /** On SIGTERM: drain (GRACEFUL_SHUTDOWN, wait, withdraw, Cease) then stop; otherwise stop at once. */
  shutdown(drain: boolean): Promise<void>;
}

/**
 * Starts the announcers of an already loaded model in this process. Returns undefined when the
 * model has no `bgp:` process. Throws `BgpAdaptError` for a model the speaker cannot use.
 */
export async function startInProcessBgp(
  model: DeliveryModel, zones: Zone[], log: Logger, opts: { statusHttp?: string; disableFile?: string } = {},
): Promise<InProcessBgp | undefined> {
  const configs = bgpConfigsFromModel(model, zones);
  if (configs.length === 0) return undefined;
  return wrap(await startBgp({ configs, log, ...opts }));
}

function wrap(runtime: BgpRuntime): InProcessBgp {
  return {
    runtime,
    sessions: () => runtime.status().flatMap((a) => a.sessions.map((s) => ({
      neighbor: s.neighbor, state: s.state, announced: s.announced, unannounced: s.unannounced,
      lastError: s.lastError ?? undefined, lastTransition: s.lastTransition,
    }))),
    async shutdown(drain: boolean) {
      if (drain) await runtime.drain();
      await runtime.stop();
    },
  };
}

/**
 * `anypick serve --bgp`: loads the announcers from the same paths serve reads and starts them
 * in this process. Throws with every `file:line:col` message when the files cannot be used.
 */
export async function startBgpFromPaths(paths: string[], log: Logger): Promise<InProcessBgp | undefined> {
  const loaded = loadBgpConfigs(paths);
  if (loaded.errors.length) throw new Error(`bgp: ${loaded.errors.join('\n')}`);
  if (loaded.configs.length === 0) {
    log.warn({ paths }, "bgp: no process with 'bgp: PROCESS.CHECK'; nothing to announce");
    return undefined;
  }
  const runtime = await startBgp({ configs: loaded.configs, log });
  return wrap(runtime);
}
