/**
 * Loads zone files and delivery files together: `loadPaths(['zones', 'bgp'])`. Delivery files
 * share one namespace; references are resolved once all are read; delivery names are checked
 * against the zones served.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { SourceError, SourceErrors } from '../util/source-error';
import type { SourcePos } from '../util/source-error';
import { loadZoneFile, originFromFileName } from '../zone';
import type { Zone } from '../zone';
import { LoadContext } from './context';
import { applicationName, interpretFile } from './interpret';
import { checkRequireCycles, resolveAll } from './resolve';
import { allEntries, dnsServices, allServices } from './walk';
import { emptyModel } from './model';
import type { DeliveryModel } from './model';
import { loadDnssecSettings } from '../dnssec/settings';
import type { DnssecSettings } from '../dnssec/settings';
import { KeyError, keyState, readKeyDir } from '../dnssec/keys';
import type { ZoneKey } from '../dnssec/keys';

/** A zone's online-signing settings (`X.dnssec` beside `X.zone`) and its key files. */
export interface ZoneDnssec {
  settings: DnssecSettings;
  keys: ZoneKey[];
}

/** What `loadPaths` found: zones, the delivery model, and every problem with its position. */
export interface LoadResult {
  zones: Zone[];
  model: DeliveryModel;
  errors: SourceError[];
  warnings: SourceError[];
  /** Every file read (zones and deliveries, including delivery files pulled in by `infra.application`). */
  files: string[];
  /** Online-signed zones by origin. */
  dnssec: Map<string, ZoneDnssec>;
}

/**
 * The DNSSEC settings beside zone file `f` (`example.com.zone` → `example.com.dnssec`) and the
 * keys they name; undefined when there is none. Errors are pushed (file:line:col).
 */
function zoneDnssec(f: string, origin: string, errors: SourceError[], warnings: SourceError[], nowS: number): ZoneDnssec | undefined {
  const file = f.replace(/\.zone$/, '.dnssec');
  if (!existsSync(file)) return undefined;
  let settings: DnssecSettings;
  try {
    settings = loadDnssecSettings(file);
  } catch (err) {
    if (err instanceof SourceError) errors.push(err);
    else errors.push(new SourceError({ file, line: 1, col: 1 }, `cannot read: ${(err as Error).message}`, 'E_DNSSEC_SETTINGS'));
    return undefined;
  }
  let keys: ZoneKey[];
  try {
    keys = readKeyDir(settings.keysDir, origin);
  } catch (err) {
    if (!(err instanceof KeyError)) throw err;
    errors.push(new SourceError(settings.keysPos, err.message, 'E_DNSSEC_KEY'));
    return undefined;
  }
  const states = keys.map((k) => keyState(k, nowS));
  if (!states.some((s) => s.active)) errors.push(new SourceError(settings.keysPos, `no key of zone ${origin || '.'} is active now (check the Activate/Inactive/Delete times in ${settings.keysDir})`, 'E_DNSSEC_KEY'));
  else if (!keys.some((k, i) => (k.flags & 1) !== 0 && states[i]!.active)) warnings.push(new SourceError(settings.keysPos, `zone ${origin || '.'} has no active key with the SEP flag (257): its DNSKEY set is signed by a ZSK`, 'W_DNSSEC_KEY'));
  return { settings, keys };
}

function walk(dir: string, out: string[]): void {
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile() && (e.name.endsWith('.zone') || e.name.endsWith('.delivery'))) out.push(p);
  }
}

/** Expands paths (files, or directories searched recursively) into `.zone`/`.delivery` files. */
function expand(paths: string[], errors: SourceError[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch (err) {
      errors.push(new SourceError({ file: p, line: 1, col: 1 }, `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'E_CONFIG_READ'));
      continue;
    }
    if (st.isDirectory()) walk(p, out);
    else if (p.endsWith('.zone') || p.endsWith('.delivery')) out.push(p);
    else errors.push(new SourceError({ file: p, line: 1, col: 1 }, `not a zone or delivery file (expected a name ending in .zone or .delivery)`, 'E_CONFIG_READ'));
  }
  const seen = new Set<string>();
  return out.filter((f) => {
    const k = resolvePath(f);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function readDelivery(ctx: LoadContext, file: string): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    ctx.error({ file, line: 1, col: 1 }, `cannot read delivery file: ${(err as Error).message}`, 'E_CONFIG_READ');
    return;
  }
  interpretFile(ctx, file, text);
}

/**
 * `infra.application.NAME` written in a file of directory D, when no loaded file forms NAME:
 * load `NAME.delivery` or `NN-NAME.delivery` from D, else from the sibling directory `bgp`
 * of D (`zones/` finds `bgp/anycast-dns.delivery`), so one delivery file checks on its own.
 */
/** Where `infra.application.NAME` is looked for: the referring file's directory, then `../bgp/`. */
function candidates(dir: string): string[] {
  const list = (d: string): string[] => {
    try {
      return readdirSync(d).filter((n) => n.endsWith('.delivery')).sort().map((n) => join(d, n));
    } catch {
      return [];
    }
  };
  const bgp = join(dirname(resolvePath(dir)), 'bgp');
  return [...list(dir), ...(bgp === resolvePath(dir) ? [] : list(bgp))];
}

function pullApplications(ctx: LoadContext, loaded: Set<string>): string[] {
  const added: string[] = [];
  for (;;) {
    let progress = false;
    for (const p of ctx.pending) {
      const ref = p.ref;
      if (!('kind' in ref) || ref.kind !== 'application' || ctx.applications.has(ref.name)) continue;
      const f = candidates(dirname(ref.pos.file)).find((n) => applicationName(n) === ref.name && !loaded.has(resolvePath(n)));
      if (!f) continue;
      loaded.add(resolvePath(f));
      added.push(f);
      readDelivery(ctx, f);
      progress = true;
    }
    if (!progress) return added;
  }
}

function servedBy(zones: Zone[], host: string): Zone | undefined {
  return zones.filter((z) => host === z.origin || host.endsWith('.' + z.origin)).sort((a, b) => b.origin.length - a.origin.length)[0];
}

/** Two DNS-tier services cannot answer for one name. */
function uniqueDnsNames(ctx: LoadContext): void {
  const seen = new Map<string, SourcePos>();
  for (const { service } of dnsServices(ctx.model)) {
    const l = service.listen;
    if (!l) continue;
    const prev = seen.get(l.host);
    if (prev) ctx.error(l.pos, `'${l.host}' is already answered by the DNS-tier service at ${prev.file}:${prev.line}:${prev.col}`, 'E_CONFIG_DUPLICATE');
    else seen.set(l.host, l.pos);
  }
}

/** Warnings where delivery names and zones disagree (only when zones are loaded). */
function crossCheck(ctx: LoadContext, zones: Zone[]): void {
  if (zones.length === 0) return;
  for (const { service } of allServices(ctx.model)) {
    const l = service.listen;
    if (!l || /^[\d.]+$|:/.test(l.host)) continue;
    if (!servedBy(zones, l.host)) ctx.warn(l.pos, `no loaded zone serves '${l.host}' (listen host of service '${service.name}')`);
  }
  for (const { service } of dnsServices(ctx.model)) {
    if (service.members?.kind !== 'static') continue;
    for (const m of service.members.members) {
      for (const t of m.targets) {
        if (!t.record) continue;
        const z = servedBy(zones, t.record.owner);
        if (!z) {
          ctx.warn(t.pos, `no loaded zone serves record owner '${t.record.owner}'`);
          continue;
        }
        const clash = z.records.find((r) => r.name === t.record?.owner && (r.type === t.record.type || r.type === 'CNAME'));
        if (clash) ctx.warn(t.pos, `zone '${z.origin}' also has ${clash.type} records at '${t.record.owner}' (${clash.pos.file}:${clash.pos.line}:${clash.pos.col}); the delivery's answer replaces them`);
      }
    }
  }
}

/** Loads `.zone` and `.delivery` files from files or directories (recursively). */
export function loadPaths(paths: string[], nowMs = Date.now()): LoadResult {
  const errors: SourceError[] = [];
  const dnssec = new Map<string, ZoneDnssec>();
  const settingsFiles: string[] = [];
  const files = expand(paths, errors);
  const ctx = new LoadContext(emptyModel());
  const zones: Zone[] = [];
  const loaded = new Set(files.map((f) => resolvePath(f)));
  for (const f of files) {
    if (f.endsWith('.delivery')) {
      readDelivery(ctx, f);
      continue;
    }
    try {
      const z = loadZoneFile(f, originFromFileName(f));
      const prev = zones.find((x) => x.origin === z.origin);
      if (prev) {
        const p = prev.soa.pos;
        errors.push(new SourceError(z.soa.pos, `duplicate zone '${z.origin}' (first loaded at ${p.file}:${p.line}:${p.col})`, 'E_CONFIG_DUPLICATE'));
      } else {
        zones.push(z);
        ctx.warnings.push(...(z.warnings ?? []));
        const signed = zoneDnssec(f, z.origin, errors, ctx.warnings, Math.floor(nowMs / 1000));
        if (signed) {
          dnssec.set(z.origin, signed);
          settingsFiles.push(signed.settings.file);
        }
      }
    } catch (err) {
      if (err instanceof SourceErrors) errors.push(...err.errors);
      else if (err instanceof SourceError) errors.push(err);
      else throw err;
    }
  }
  const pulled = pullApplications(ctx, loaded);
  resolveAll(ctx);
  checkRequireCycles(ctx, allEntries(ctx.model));
  uniqueDnsNames(ctx);
  crossCheck(ctx, zones);
  errors.push(...ctx.errors);
  const all = [...files, ...settingsFiles, ...pulled];
  return { zones, model: ctx.model, errors: byPosition(errors, all), warnings: byPosition(ctx.warnings, all), files: all, dnssec };
}

/** Sorts diagnostics by file (in load order), then line and column. */
function byPosition(list: SourceError[], files: string[]): SourceError[] {
  const order = (f: string): number => {
    const i = files.indexOf(f);
    return i < 0 ? -1 : i;
  };
  return list
    .map((e, i) => ({ e, i }))
    .sort((a, b) => order(a.e.pos.file) - order(b.e.pos.file) || a.e.pos.line - b.e.pos.line || a.e.pos.col - b.e.pos.col || a.i - b.i)
    .map((x) => x.e);
}
