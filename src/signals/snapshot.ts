/**
 * Safe restarts: the member registry's state (leases, readiness, factors' inputs, with their
 * ages) written to a state file periodically and on shutdown, and restored at start when it is
 * younger than one lease. Without it a restarted node judges every member statically during
 * the start-up grace, re-admitting datacenters that were dead or not ready (docs/signals.md).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from '../util/log';
import type { DumpedMember, MemberRegistry } from './registry';

/** Version of the file format. */
export const SNAPSHOT_FORMAT = 1;
/** How often the state is written while running, ms. */
export const SNAPSHOT_PERIOD_MS = 1000;
/** File name under the systemd StateDirectory ($STATE_DIRECTORY) when `--state-file` is not given. */
export const DEFAULT_STATE_FILE_NAME = 'member-state.json';

/** The state file's content. */
export interface StateSnapshot {
  format: typeof SNAPSHOT_FORMAT;
  /** When it was written, ms since the epoch. */
  writtenAt: number;
  members: DumpedMember[];
}

/** Thrown for a state file that is not a snapshot. */
export class SnapshotError extends Error {
  override readonly name = 'SnapshotError';
  readonly code = 'E_STATE_SNAPSHOT';
}

/**
 * The state file to use: `--state-file FILE` ('none' for none), else `member-state.json` in
 * systemd's StateDirectory (the first of $STATE_DIRECTORY's colon-separated paths), else none.
 */
export function stateFilePath(option: unknown, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (option === 'none') return undefined;
  if (typeof option === 'string' && option !== '') return option;
  const dir = env.STATE_DIRECTORY?.split(':')[0];
  return dir ? join(dir, DEFAULT_STATE_FILE_NAME) : undefined;
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStr = (v: unknown): v is string => typeof v === 'string' && v !== '';
const isSample = (v: unknown): boolean => v === undefined || (typeof v === 'object' && v !== null && isNum((v as { value: unknown }).value) && isNum((v as { ageMs: unknown }).ageMs));

function validMember(m: unknown): m is DumpedMember {
  if (typeof m !== 'object' || m === null) return false;
  const d = m as Record<string, unknown>;
  return (d.tier === 'datacenter' || d.tier === 'cluster' || d.tier === 'service') && isStr(d.service) && isStr(d.member) && isNum(d.leaseRemainingMs) && d.leaseRemainingMs >= 0
    && isNum(d.readiness) && (d.address === undefined || isStr(d.address)) && (d.port === undefined || isNum(d.port))
    && isSample(d.utilization) && isSample(d.errors) && (d.rampElapsedMs === undefined || isNum(d.rampElapsedMs));
}

/** Parses a state file's text; throws SnapshotError naming what is wrong. */
export function parseSnapshot(text: string, file: string): StateSnapshot {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (err) {
    throw new SnapshotError(`${file}: not JSON: ${(err as Error).message}`, { cause: err });
  }
  const o = j as Partial<StateSnapshot>;
  if (typeof j !== 'object' || j === null || o.format !== SNAPSHOT_FORMAT) throw new SnapshotError(`${file}: not a member state snapshot of format ${SNAPSHOT_FORMAT}`);
  if (!isNum(o.writtenAt)) throw new SnapshotError(`${file}: writtenAt must be a time in ms`);
  if (!Array.isArray(o.members)) throw new SnapshotError(`${file}: members must be a list`);
  const bad = o.members.findIndex((m) => !validMember(m));
  if (bad >= 0) throw new SnapshotError(`${file}: members[${bad}] is not a member state`);
  return { format: SNAPSHOT_FORMAT, writtenAt: o.writtenAt, members: o.members };
}

/** Writes the registry's state to `file` atomically (a temporary file renamed over it). */
export function writeSnapshot(file: string, registry: MemberRegistry, now = Date.now()): void {
  const snap: StateSnapshot = { format: SNAPSHOT_FORMAT, writtenAt: now, members: registry.dump() };
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(snap) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

/** What a restore did. */
export type RestoreResult =
  | { restored: number; ageMs: number }
  | { skipped: 'missing' | 'too-old' | 'from-the-future' | 'invalid'; ageMs?: number; error?: Error };

/**
 * Restores `file` into `registry` when it is younger than one lease (`leaseMs`); an older,
 * missing or broken file is skipped (the registry starts empty, as without a file).
 */
export function restoreSnapshot(file: string, registry: MemberRegistry, leaseMs: number, now = Date.now()): RestoreResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { skipped: 'missing' };
  }
  let snap: StateSnapshot;
  try {
    snap = parseSnapshot(text, file);
  } catch (err) {
    return { skipped: 'invalid', error: err as Error };
  }
  const ageMs = now - snap.writtenAt;
  if (ageMs < 0) return { skipped: 'from-the-future', ageMs };
  if (ageMs >= leaseMs) return { skipped: 'too-old', ageMs };
  return { restored: registry.restore(snap.members, ageMs), ageMs };
}

/** Writes the snapshot every `periodMs` and once more on `stop()`. */
export class SnapshotWriter {
  private timer?: NodeJS.Timeout;

  constructor(private readonly file: string, private readonly registry: MemberRegistry, private readonly logger: Logger, private readonly periodMs = SNAPSHOT_PERIOD_MS) {}

  /** Starts the periodic writes. */
  start(): void {
    this.timer = setInterval(() => this.write(), this.periodMs);
    this.timer.unref();
  }

  /** Stops the periodic writes and writes the final state (on shutdown). */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.write();
  }

  /** Writes now; a failure is logged, never thrown (serving goes on). */
  write(): boolean {
    try {
      writeSnapshot(this.file, this.registry);
      return true;
    } catch (err) {
      this.logger.warn({ err, file: this.file }, 'cannot write the member state snapshot');
      return false;
    }
  }
}

/**
 * Restores `file` into `registry` (lease from its configuration), logs the outcome and starts
 * writing it every second; `stop()` on the writer writes the final state.
 */
export function startSnapshots(file: string, registry: MemberRegistry, logger: Logger): SnapshotWriter {
  const r = restoreSnapshot(file, registry, registry.lease);
  if ('restored' in r) logger.info({ file, members: r.restored, ageMs: r.ageMs }, 'member state restored from snapshot');
  else if (r.skipped === 'invalid') logger.error({ file, err: r.error }, 'member state snapshot unreadable; starting without it');
  else logger.info({ file, skipped: r.skipped, ageMs: r.ageMs }, 'member state snapshot not restored');
  const w = new SnapshotWriter(file, registry, logger);
  w.start();
  return w;
}
