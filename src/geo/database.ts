import { readFileSync, watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Logger } from '../util/log';
import { BytesLookup, lookupIn, readerFromBuffer } from './lookup';
import type { GeoNetwork } from './lookup';
import type { GeoMatch, MmdbReader } from './lookup';

/** Thrown when a geo database file cannot be read or is not a valid MMDB. */
export class GeoDatabaseError extends Error {
  override readonly name = 'GeoDatabaseError';
  readonly code = 'E_GEO_DB';
}

/** Options of {@link GeoDatabase.open}. */
export interface GeoDatabaseOptions {
  /** Reload the file when it changes (default true). */
  watch?: boolean;
  /** Where reloads and failed reloads are logged. */
  log?: Logger;
  /** Quiet period after a change before reloading, ms (default 200): writers finish first. */
  debounceMs?: number;
  /** Called after every reload attempt (tests wait on it). */
  onReload?: (ok: boolean, err?: Error) => void;
}

interface Loaded {
  reader: MmdbReader;
  bytes: BytesLookup;
}

function load(file: string): Loaded {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new GeoDatabaseError(`cannot read geo database ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const reader = readerFromBuffer(bytes);
    return { reader, bytes: new BytesLookup(reader, bytes, reader.metadata) };
  } catch (err) {
    throw new GeoDatabaseError(`${file} is not a valid MMDB geo database: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * An MMDB geo database opened from a file. When the file changes (rewritten in place or
 * replaced by rename, as `mv new.mmdb db.mmdb` or geoipupdate do) it is read again and swapped
 * in atomically: lookups see either the old or the new database, never a mix. A new file that
 * fails to load is logged and the old database stays in use.
 */
export class GeoDatabase {
  private loaded: Loaded;
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  /** Incremented on every successful reload (callers may cache per generation). */
  generation = 0;

  private constructor(readonly file: string, loaded: Loaded, private readonly opts: GeoDatabaseOptions) {
    this.loaded = loaded;
  }

  /** When the loaded file was built (its MMDB metadata `build_epoch`), seconds since the epoch. */
  get buildEpoch(): number {
    const b = (this.loaded.reader.metadata as { buildEpoch?: Date }).buildEpoch;
    return b instanceof Date ? Math.floor(b.getTime() / 1000) : NaN;
  }

  /** Opens `file`; throws GeoDatabaseError when it is missing or invalid. */
  static open(file: string, opts: GeoDatabaseOptions = {}): GeoDatabase {
    const abs = resolve(file);
    const db = new GeoDatabase(abs, load(abs), opts);
    if (opts.watch !== false) db.startWatching();
    return db;
  }

  /** Looks up an IPv4 or IPv6 address (throws AddressError when it is not one). */
  lookup(ip: string): GeoMatch {
    return lookupIn(this.loaded.reader, ip);
  }

  /**
   * Looks up 4 or 16 address bytes (an ECS address padded with zero bytes): the same network
   * and facts as `lookup`, without the address, and without making strings on the query path.
   */
  lookupBytes(address: Uint8Array): GeoNetwork {
    return this.loaded.bytes.lookup(address);
  }

  /**
   * Whether the database holds networks of `family`: IPv6 only in an IPv6 tree (metadata
   * ip_version 6); IPv4 in an IPv4 tree or in the ::/96 subtree of an IPv6 tree.
   */
  holds(family: 4 | 6): boolean {
    return this.loaded.bytes.holds(family);
  }

  /** Reads the file again now; keeps the old database (and rethrows) when the new one fails. */
  reload(): void {
    const next = load(this.file);
    this.loaded = next;
    this.generation++;
  }

  /** Stops watching the file. */
  close(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
  }

  private startWatching(): void {
    // Watch the directory, not the file: a rename over the file replaces its inode, which a
    // watch on the file itself would lose.
    const name = basename(this.file);
    this.watcher = watch(dirname(this.file), { persistent: false }, (_event, changed) => {
      if (changed !== null && changed.toString() !== name) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.reloadLogged(), this.opts.debounceMs ?? 200);
      this.timer.unref();
    });
    this.watcher.on('error', (err) => this.opts.log?.error({ err, file: this.file }, 'geo database watch failed'));
  }

  private reloadLogged(): void {
    try {
      this.reload();
      this.opts.log?.info({ file: this.file, generation: this.generation }, 'geo database reloaded');
      this.opts.onReload?.(true);
    } catch (err) {
      this.opts.log?.error({ err, file: this.file }, 'geo database reload failed; keeping the previous one');
      this.opts.onReload?.(false, err as Error);
    }
  }
}
