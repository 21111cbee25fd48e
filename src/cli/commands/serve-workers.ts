/**
 * `anypick serve --workers N`: N worker processes (node:cluster) that each run the whole server
 * and share its sockets — UDP sockets are one shared handle read by every worker, TCP
 * connections are spread round-robin by the primary. The primary only supervises: it forwards
 * SIGHUP, stops the workers on SIGTERM/SIGINT, and restarts a worker that dies after start-up.
 */
import cluster from 'node:cluster';
import type { Worker } from 'node:cluster';
import type { Logger } from '../../util/log';
import { EXIT, UsageError } from '../command';

/** Start-up period: a worker dying within it stops the whole server with its exit code. */
export const WORKER_STARTUP_MS = 5000;

/** Grace period for a worker to stop after SIGTERM before it is killed. */
export const WORKER_STOP_MS = 5000;

/** In a worker, after the server stopped: closes the IPC channel so the process can exit. */
export function leaveCluster(): void {
  if (cluster.isWorker && process.connected) process.disconnect();
}

/** Parses `--workers N` (1..64; default 1). */
export function parseWorkers(value: unknown): number {
  if (value === undefined) return 1;
  const n = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || n < 1 || n > 64) throw new UsageError(`--workers ${String(value as string)}: expected a number of processes 1..64`);
  return n;
}

/** True in a process that should run the server itself (no workers, or a cluster worker). */
export function runsServerItself(workers: number): boolean {
  return workers <= 1 || cluster.isWorker;
}

/** The primary of `serve --workers N`: forks and supervises the workers until a stop signal. */
export function superviseWorkers(n: number, logger: Logger): Promise<number> {
  const started = Date.now();
  let stopping = false;
  const fork = (): Worker => cluster.fork();
  for (let i = 0; i < n; i++) fork();
  logger.info({ workers: n }, 'serve: started worker processes');
  return new Promise((done) => {
    const stop = (code: number): void => {
      if (stopping) return;
      stopping = true;
      const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
      if (alive.length === 0) return done(code);
      let left = alive.length;
      for (const w of alive) {
        w.once('exit', () => { if (--left === 0) done(code); });
        w.process.kill('SIGTERM');
        // A worker that does not finish its graceful stop in time is killed.
        setTimeout(() => { if (!w.isDead()) w.process.kill('SIGKILL'); }, WORKER_STOP_MS).unref();
      }
    };
    cluster.on('exit', (w, code, signal) => {
      if (stopping) return;
      if (Date.now() - started < WORKER_STARTUP_MS) {
        logger.error({ pid: w.process.pid, code, signal }, 'serve: a worker failed at start-up; stopping');
        stop(typeof code === 'number' && code !== 0 ? code : EXIT.RUNTIME);
        return;
      }
      logger.error({ pid: w.process.pid, code, signal }, 'serve: worker died; restarting it');
      fork();
    });
    process.on('SIGHUP', () => {
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGHUP');
    });
    process.once('SIGTERM', () => stop(EXIT.OK));
    process.once('SIGINT', () => stop(EXIT.OK));
  });
}
