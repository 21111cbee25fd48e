import { readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, normalize } from 'node:path';
import { SourceError, SourceErrors } from '../util/source-error';
import type { SourcePos } from '../util/source-error';
import { EscapeError, decodeOctets } from './escapes';
import { hasPresentationForm, parseGeneric, parseType } from './generic';
import { isMetaType } from '../rrtype/registry';
import type { RecordType } from './generic';
import { lex } from './lexer';
import type { Entry, Token } from './lexer';
import { NameError, isInZone, parseName, requireOrigin } from './names';
import { RDATA } from './rdata';
import { RdataReader } from './rdata-reader';
import type { Zone, ZoneRecord } from './types';
import { normaliseRrsets } from './rrsets';
import { validateZone } from './validate';
import { MAX_TTL, ValueError, looksLikeTtl, parseDuration } from './values';

/** Options for {@link parseZone}. */
export interface ParseZoneOptions {
  /** The file name errors and record positions refer to; `$INCLUDE` paths are relative to it. */
  file: string;
  /** The origin when the file has no `$ORIGIN` before its first record (else derived from `file`). */
  origin?: string;
  /** TTL for records without one when no `$TTL` is in effect (else the SOA MINIMUM). */
  defaultTtl?: number;
  /** Reads an `$INCLUDE`d file (default: the file system). Receives the resolved path. */
  readInclude?: (path: string) => string;
}

/** RFC 1035 leaves nesting open; eight levels is far beyond any real zone. */
export const MAX_INCLUDE_DEPTH = 8;

/** The state a master file is read in; `$INCLUDE` gives the included file its own copy. */
interface Scope {
  file: string;
  origin: string | undefined;
  ttl: number | undefined;
  owner: string | undefined;
  /** The last TTL written on a record: the default when there is no $TTL (RFC 1035 §5.1, as BIND). */
  lastTtl: number | undefined;
  /** Resolved paths of the files being read, outermost first (include loop detection). */
  stack: string[];
}

const CLASS_RE = /^(IN|CH|CS|HS|NONE|ANY|CLASS\d+)$/i;
const NO_TTL = -1;

/**
 * Parses an RFC 1035 §5 master file into a validated zone. Every problem found (syntax,
 * values, zone rules) is collected with its file:line:col and thrown as one SourceErrors.
 */
export function parseZone(text: string, opts: ParseZoneOptions): Zone {
  return new ZoneParser(opts).run(text);
}

/** Reads and parses one zone file; `$INCLUDE`d files are read relative to it. */
export function loadZoneFile(path: string, origin?: string): Zone {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const msg = `cannot read zone file: ${(err as Error).message}`;
    throw new SourceErrors([new SourceError({ file: path, line: 1, col: 1 }, msg, 'E_ZONE_READ')]);
  }
  return parseZone(text, { file: path, ...(origin === undefined ? {} : { origin }) });
}

/** `example.com.zone` → `example.com`; undefined when the name does not end in `.zone`. */
export function originFromFileName(file: string): string | undefined {
  const base = basename(file);
  if (!base.endsWith('.zone') || base === '.zone') return undefined;
  try {
    return parseName(base.slice(0, -'.zone'.length) + '.', '');
  } catch {
    return undefined;
  }
}

class ZoneParser {
  private readonly errors: SourceError[] = [];
  private readonly warnings: SourceError[] = [];
  private readonly records: ZoneRecord[] = [];
  /** A record took its TTL from the previous record (no $TTL): warned once. */
  private warnedNoTtl = false;
  private apex: string | undefined;
  private readonly failedTypes = new Set<string>();

  constructor(private readonly opts: ParseZoneOptions) {
    const t = opts.defaultTtl;
    if (t !== undefined && (!Number.isInteger(t) || t < 0 || t > MAX_TTL)) {
      throw new RangeError(`Invalid defaultTtl: ${t} (an integer 0-${MAX_TTL})`);
    }
  }

  run(text: string): Zone {
    let origin: string | undefined;
    try {
      origin = this.opts.origin === undefined ? originFromFileName(this.opts.file) : parseName(absolute(this.opts.origin), '');
    } catch (err) {
      if (!(err instanceof NameError)) throw err;
      this.errors.push(new SourceError({ file: this.opts.file, line: 1, col: 1 }, `bad origin argument: ${err.message}`, err.code));
    }
    const scope: Scope = { file: this.opts.file, origin, ttl: undefined, owner: undefined, lastTtl: undefined, stack: [normalize(this.opts.file)] };
    this.readFile(text, scope);
    const apex = this.apex ?? origin ?? '';
    const soa = this.records.find((r) => r.type === 'SOA' && r.name === apex);
    const minimum = (soa?.data as { minimum: number } | undefined)?.minimum ?? 0;
    for (const r of this.records) {
      if (r.ttl !== NO_TTL) continue;
      // BIND: a record before any TTL was written takes the SOA MINIMUM, and warns.
      r.ttl = minimum;
      this.warnings.push(new SourceError(r.pos, `no TTL, no $TTL and no earlier TTL: using the SOA MINIMUM ${minimum} (as BIND; add $TTL)`, 'W_ZONE_NO_TTL'));
    }
    // RFC 1034 §4.2.1 / BIND and Knot: data outside the zone is ignored with a warning.
    const inZone = this.records.filter((r) => {
      if (isInZone(r.name, apex)) return true;
      this.warnings.push(new SourceError(r.pos, `ignoring out-of-zone data: '${r.name || '.'}' is not in zone '${apex || '.'}'`, 'W_ZONE_OUT_OF_ZONE'));
      return false;
    });
    const { records, warnings } = normaliseRrsets(inZone);
    this.errors.push(...validateZone(apex, records, this.opts.file, this.failedTypes));
    if (this.errors.length > 0 || !soa) throw new SourceErrors(this.errors);
    const all = [...this.warnings, ...warnings].sort((a, b) => (a.pos.file === b.pos.file ? a.pos.line - b.pos.line || a.pos.col - b.pos.col : 0));
    return { origin: apex, file: this.opts.file, soa, records, warnings: all };
  }

  private readFile(text: string, scope: Scope): void {
    const { entries, errors } = lex(text, scope.file);
    // Entries the lexer dropped may have held the SOA or NS: do not also report them missing.
    if (errors.length > 0) this.failedTypes.add('SOA').add('NS');
    // Report lexer errors in file order, interleaved with the errors of the entries around them.
    const pending = [...errors];
    const flushBefore = (line: number): void => {
      while (pending.length > 0 && (pending[0] as SourceError).pos.line < line) this.errors.push(pending.shift() as SourceError);
    };
    for (const entry of entries) {
      flushBefore(entry.line);
      try {
        const first = entry.tokens[0] as Token;
        if (first.text.startsWith('$') && !first.quoted && entry.blankOwner) {
          // BIND reads an indented `$TTL` as a record of type '$TTL' and refuses the zone.
          throw errorAt(scope.file, first, `directive '${first.text}' must start at the beginning of the line (indented, it would be a record)`, 'E_ZONE_SYNTAX');
        }
        if (first.text.startsWith('$') && !first.quoted) this.directive(entry, scope);
        else this.record(entry, scope);
      } catch (err) {
        if (!(err instanceof SourceError)) throw err;
        this.errors.push(err);
      }
    }
    flushBefore(Infinity);
  }

  private directive(entry: Entry, scope: Scope): void {
    const [dir, ...args] = entry.tokens as [Token, ...Token[]];
    const name = dir.text.toUpperCase();
    const arity = (min: number, max: number, usage: string): void => {
      if (args.length < min) throw errorAt(scope.file, endOf(entry), `${name} needs ${usage}`, 'E_ZONE_SYNTAX');
      const extra = args[max];
      if (extra) throw errorAt(scope.file, extra, `unexpected '${extra.text}' after ${name} ${usage}`, 'E_ZONE_SYNTAX');
    };
    if (name === '$ORIGIN') {
      arity(1, 1, 'a domain name');
      const t = args[0] as Token;
      scope.origin = at(scope.file, t, () => parseName(t.text, requireOrigin(t.text, scope.origin)));
    } else if (name === '$TTL') {
      arity(1, 1, 'a TTL');
      const t = args[0] as Token;
      scope.ttl = this.ttl(scope.file, t, 'TTL');
    } else if (name === '$INCLUDE') {
      arity(1, 2, 'a file name and an optional origin');
      this.include(args[0] as Token, args[1], scope);
    } else if (name === '$GENERATE') {
      const msg = "$GENERATE (a BIND extension) is not supported: write the records out (named-compilezone -o - prints them expanded)";
      throw errorAt(scope.file, dir, msg, 'E_ZONE_SYNTAX');
    } else {
      throw errorAt(scope.file, dir, `unsupported directive '${dir.text}' (supported: $ORIGIN, $TTL, $INCLUDE)`, 'E_ZONE_SYNTAX');
    }
  }

  private include(pathTok: Token, originTok: Token | undefined, scope: Scope): void {
    const rel = at(scope.file, pathTok, () => decodeOctets(pathTok.text).toString('utf8'));
    const path = normalize(isAbsolute(rel) ? rel : join(dirname(scope.file), rel));
    const origin = originTok
      ? at(scope.file, originTok, () => parseName(originTok.text, requireOrigin(originTok.text, scope.origin)))
      : scope.origin;
    if (scope.stack.includes(path)) {
      const loop = [...scope.stack.slice(scope.stack.indexOf(path)), path].join(' → ');
      throw errorAt(scope.file, pathTok, `$INCLUDE loop: ${loop}`, 'E_ZONE_INCLUDE');
    }
    if (scope.stack.length > MAX_INCLUDE_DEPTH) {
      throw errorAt(scope.file, pathTok, `$INCLUDE nested more than ${MAX_INCLUDE_DEPTH} files deep`, 'E_ZONE_INCLUDE');
    }
    let text: string;
    try {
      text = (this.opts.readInclude ?? ((p: string) => readFileSync(p, 'utf8')))(path);
    } catch (err) {
      throw errorAt(scope.file, pathTok, `cannot read $INCLUDE file '${path}': ${(err as Error).message}`, 'E_ZONE_INCLUDE');
    }
    // RFC 1035 §5.1: the included file starts at the given origin, and the including file's
    // origin is unaffected by it; so is its previous owner. A $TTL set inside stays in effect
    // afterwards, as in BIND (checked against named-compilezone in the tests).
    const child: Scope = { file: path, origin, ttl: scope.ttl, owner: undefined, lastTtl: scope.lastTtl, stack: [...scope.stack, path] };
    this.readFile(text, child);
    scope.ttl = child.ttl;
    scope.lastTtl = child.lastTtl;
  }

  private record(entry: Entry, scope: Scope): void {
    const toks = entry.tokens;
    const first = toks[0] as Token;
    let i = 0;
    let owner: string;
    if (entry.blankOwner) {
      if (scope.owner === undefined) {
        throw errorAt(scope.file, first, 'record has no owner name and there is no previous owner', 'E_ZONE_SYNTAX');
      }
      owner = scope.owner;
    } else {
      owner = at(scope.file, first, () => parseName(first.text, requireOrigin(first.text, scope.origin)));
      i = 1;
    }
    scope.owner = owner;
    let ttl: number | undefined;
    let klass: Token | undefined;
    for (let n = 0; n < 2; n++) {
      const t = toks[i];
      if (t && ttl === undefined && !t.quoted && looksLikeTtl(t.text)) {
        ttl = this.ttl(scope.file, t, 'TTL');
      } else if (t && klass === undefined && !t.quoted && CLASS_RE.test(t.text)) {
        klass = t;
      } else {
        break;
      }
      i++;
    }
    if (klass && !/^(IN|CLASS1)$/i.test(klass.text)) {
      const msg = `class '${klass.text}' is not supported: zones here are class IN`;
      throw errorAt(scope.file, klass, msg, 'E_ZONE_CLASS');
    }
    const typeTok = toks[i];
    if (!typeTok) throw errorAt(scope.file, endOf(entry), 'record is missing its type', 'E_ZONE_SYNTAX');
    const type = typeTok.quoted ? null : parseType(typeTok.text);
    if (!type) {
      const msg = looksLikeTtl(typeTok.text)
        ? `a second TTL '${typeTok.text}' where the type belongs`
        : CLASS_RE.test(typeTok.text)
          ? `a second class '${typeTok.text}' where the type belongs`
          : `unknown record type '${typeTok.text}'`;
      throw errorAt(scope.file, typeTok, msg, 'E_ZONE_TYPE');
    }
    if (isMetaType(type.code)) {
      throw errorAt(scope.file, typeTok, `${typeTok.text} is a meta or query type and cannot appear in a zone (RFC 6895 §3.1)`, 'E_ZONE_TYPE');
    }
    try {
      this.rdata(entry, scope, owner, ttl, type, typeTok, toks.slice(i + 1));
    } catch (err) {
      // A broken SOA or NS record must not also be reported as a missing one.
      this.failedTypes.add(type.name);
      throw err;
    }
  }

  private rdata(entry: Entry, scope: Scope, owner: string, ttl: number | undefined, type: RecordType, typeTok: Token, rest: Token[]): void {
    const first = entry.tokens[0] as Token;
    const generic = rest[0] !== undefined && !rest[0].quoted && rest[0].text === '\\#';
    const reader = new RdataReader(scope.file, type.name, scope.origin, generic ? rest.slice(1) : rest, endOf(entry));
    let data: unknown;
    if (generic) {
      data = parseGeneric(reader, type);
    } else if (hasPresentationForm(type.name)) {
      data = (RDATA[type.name] as (r: RdataReader) => unknown)(reader);
      reader.done();
    } else {
      const msg = `type ${typeTok.text} is only supported in RFC 3597 generic form: ${typeTok.text} \\# <length> <hex>`;
      throw errorAt(scope.file, typeTok, msg, 'E_ZONE_TYPE');
    }
    this.apex ??= scope.origin;
    const pos: SourcePos = { file: scope.file, line: first.line, col: first.col };
    let recordTtl = ttl ?? scope.ttl ?? this.opts.defaultTtl;
    if (recordTtl === undefined && scope.lastTtl !== undefined) {
      // RFC 1035 §5.1 (no $TTL): the last TTL written. RFC 2308 §4 made the SOA MINIMUM the
      // negative-caching TTL, so it is no default for records; BIND does the same and warns.
      recordTtl = scope.lastTtl;
      if (!this.warnedNoTtl) {
        this.warnedNoTtl = true;
        this.warnings.push(new SourceError(pos, `no $TTL: records without a TTL take the last TTL written (${recordTtl} here), as BIND does (RFC 2308 §4)`, 'W_ZONE_NO_TTL'));
      }
    }
    if (recordTtl === undefined && type.name === 'SOA') {
      // BIND: an SOA without any TTL in force takes its own MINIMUM.
      recordTtl = (data as { minimum: number }).minimum;
      this.warnings.push(new SourceError(pos, `no TTL and no $TTL: the SOA takes its MINIMUM ${recordTtl} as TTL (as BIND; add $TTL)`, 'W_ZONE_NO_TTL'));
    }
    if (ttl !== undefined || (scope.ttl === undefined && recordTtl !== undefined)) scope.lastTtl = recordTtl;
    this.records.push({ name: owner, type: type.name, class: 'IN', ttl: recordTtl ?? NO_TTL, data, pos });
  }

  /**
   * A TTL token. RFC 2181 §8: a value with the top bit set (2^31 to 2^32-1) is treated as 0,
   * as BIND does, with a warning; larger values are errors.
   */
  private ttl(file: string, t: Token, what: string): number {
    const v = at(file, t, () => parseDuration(t.text, what, 2 ** 32 - 1));
    if (v <= MAX_TTL) return v;
    this.warnings.push(new SourceError({ file, line: t.line, col: t.col }, `${what} ${t.text} has the top bit set: using 0 (RFC 2181 §8, as BIND)`, 'W_ZONE_TTL'));
    return 0;
  }
}

function absolute(name: string): string {
  return name.endsWith('.') ? name : name + '.';
}

function at<T>(file: string, t: Token, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ValueError || err instanceof NameError || err instanceof EscapeError) {
      throw errorAt(file, t, err.message, err.code);
    }
    throw err;
  }
}

function errorAt(file: string, p: { line: number; col: number }, message: string, code: string): SourceError {
  return new SourceError({ file, line: p.line, col: p.col }, message, code);
}

/** Just after the entry's last token: where a missing field would have been. */
function endOf(entry: Entry): { line: number; col: number } {
  const last = entry.tokens[entry.tokens.length - 1] as Token;
  return { line: last.line, col: last.col + last.text.length + (last.quoted ? 2 : 0) };
}
