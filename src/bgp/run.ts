import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Logger } from '../util/log';
import { Announcer } from './announcer';
import type { BgpConfig } from './config';
import { startStatusServer } from './status-server';
import { checkSecuritySupport } from './transport';
import type { AnnouncerStatus } from './status';

/** Options of `startBgp`. */
export interface BgpRunOptions {
  configs: BgpConfig[];
  log: Logger;
  /** `ADDR:PORT` for the JSON status / metrics / drain endpoint. */
  statusHttp?: string;
  /** While this file exists the announcers are drained and disabled. */
  disableFile?: string;
  /** How often to look for the disable file (ms, default 500). */
  disablePollMs?: number;
}

/** A running BGP sidecar (standalone or inside `anypick serve`). */
export interface BgpRuntime {
  announcers: Announcer[];
  /** Bound status address (`ADDR:PORT`), when enabled. */
  statusAddress?: string;
  status(): AnnouncerStatus[];
  /** Graceful drain of every announcer (SIGTERM path). */
  drain(): Promise<void>;
  enable(): void;
  /** Immediate stop (sessions closed with Cease 6/2). */
  stop(): Promise<void>;
}

/** Starts announcers, the disable-file watcher and the status endpoint. */
export async function startBgp(opts: BgpRunOptions): Promise<BgpRuntime> {
  // A configured password, ttl-security or bfd without the native addon is a start-up error.
  for (const c of opts.configs) checkSecuritySupport(c.neighbors.map((n) => ({ ...n, bfd: n.bfd !== undefined })));
  const announcers = opts.configs.map((c) => new Announcer(c, opts.log));
  let server: Server | undefined;
  let poll: NodeJS.Timeout | undefined;
  let disabledByFile = false;
  const rt: BgpRuntime = {
    announcers,
    status: () => announcers.map((a) => a.status()),
    drain: async () => { await Promise.all(announcers.map((a) => a.drain())); },
    enable: () => announcers.forEach((a) => a.enable()),
    stop: async () => {
      clearInterval(poll);
      await Promise.all(announcers.map((a) => a.stop()));
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    },
  };
  if (opts.disableFile) {
    const file = opts.disableFile;
    disabledByFile = existsSync(file);
    if (disabledByFile) opts.log.warn({ file }, 'bgp: disable file present at start; not announcing');
    poll = setInterval(() => {
      const now = existsSync(file);
      if (now === disabledByFile) return;
      disabledByFile = now;
      opts.log.info({ file, present: now }, now ? 'bgp: disable file appeared, draining' : 'bgp: disable file removed, enabling');
      if (now) void rt.drain();
      else rt.enable();
    }, opts.disablePollMs ?? 500);
  }
  try {
    for (const a of announcers) {
      await a.start();
      // Disabled at start: nothing was announced (the check needs `rise` passes); close sessions.
      if (disabledByFile) await a.drain();
    }
  } catch (err) {
    await rt.stop(); // e.g. a passive neighbor's listener could not bind: nothing keeps running
    throw err;
  }
  if (opts.statusHttp) {
    let s: Awaited<ReturnType<typeof startStatusServer>>;
    try {
      s = await startStatusServer(opts.statusHttp, rt);
    } catch (err) {
      await rt.stop(); // do not leave sessions running behind a failed start
      throw err;
    }
    server = s.server;
    rt.statusAddress = s.address;
    opts.log.info({ address: s.address }, 'bgp status endpoint listening');
  }
  return rt;
}
