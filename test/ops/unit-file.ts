/**
 * A small reader of systemd unit files and of the command lines in them, for the deployment
 * tests: sections and keys (systemd.syntax(7)), `%` specifiers (systemd.unit(5) "Specifiers"),
 * environment files and the `$VAR` / `${VAR}` expansion of Exec lines (systemd.service(5)
 * "Command lines"). Only what the units in deploy/systemd use; anything else is an error, so a
 * new construct makes the test fail instead of being read wrongly.
 */

/** A parsed unit: section → key → values in file order (keys may repeat). */
export type Unit = Map<string, Map<string, string[]>>;

/** Thrown for a unit or environment file this reader does not understand. */
export class UnitSyntaxError extends Error {
  override readonly name = 'UnitSyntaxError';
  readonly code = 'E_UNIT_SYNTAX';
}

/**
 * Parses unit file text: `[Section]` headers, `Key=Value` lines, `#`/`;` comment lines and
 * backslash line continuations. An empty assignment (`Key=`) resets the key's list, as systemd
 * does for list-valued settings.
 */
export function parseUnit(text: string, file: string): Unit {
  const unit: Unit = new Map();
  let section: Map<string, string[]> | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const no = i + 1;
    let line = lines[i].trim();
    while (line.endsWith('\\') && i + 1 < lines.length) line = line.slice(0, -1) + ' ' + lines[++i].trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const head = /^\[([^\]]+)\]$/.exec(line);
    if (head) {
      if (unit.has(head[1])) throw new UnitSyntaxError(`${file}:${no}: section [${head[1]}] appears twice`);
      section = new Map();
      unit.set(head[1], section);
      continue;
    }
    const kv = /^([A-Za-z][A-Za-z0-9]*)\s*=\s*(.*)$/.exec(line);
    if (!kv) throw new UnitSyntaxError(`${file}:${no}: expected [Section] or Key=Value, got '${line}'`);
    if (!section) throw new UnitSyntaxError(`${file}:${no}: '${kv[1]}' before any [Section]`);
    const list = section.get(kv[1]) ?? [];
    if (kv[2] === '') list.length = 0;
    else list.push(kv[2]);
    section.set(kv[1], list);
  }
  return unit;
}

/** All values of `section`/`key` (empty when absent). */
export function values(unit: Unit, section: string, key: string): string[] {
  return unit.get(section)?.get(key) ?? [];
}

/**
 * Expands the `%` specifiers of a unit named `unitName` (e.g. `anypick-report@dc1.service`):
 * %i/%I instance, %n full name, %N name without suffix, %p prefix, %% a percent sign.
 */
export function expandSpecifiers(text: string, unitName: string): string {
  const m = /^([^@.]+)(?:@([^.]*))?\.(\w+)$/.exec(unitName);
  if (!m) throw new UnitSyntaxError(`bad unit name '${unitName}'`);
  const table: Record<string, string> = { i: m[2] ?? '', I: m[2] ?? '', n: unitName, N: unitName.replace(/\.\w+$/, ''), p: m[1], '%': '%' };
  return text.replace(/%(.)/g, (_all, c: string) => {
    const v = table[c];
    if (v === undefined) throw new UnitSyntaxError(`specifier %${c} is not known to this reader (in '${text}')`);
    return v;
  });
}

/** Removes one level of double or single quotes around a value. */
function unquote(v: string): string {
  return /^"(.*)"$/.exec(v)?.[1] ?? /^'(.*)'$/.exec(v)?.[1] ?? v;
}

/** Parses an environment file (systemd.exec(5) EnvironmentFile=): `KEY=VALUE` lines, comments. */
export function parseEnvFile(text: string, file: string): Record<string, string> {
  const env: Record<string, string> = {};
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) throw new UnitSyntaxError(`${file}:${i + 1}: expected KEY=VALUE, got '${line}'`);
    env[m[1]] = unquote(m[2]);
  });
  return env;
}

/** Parses `Environment=` values (space-separated, optionally quoted `KEY=VALUE` assignments). */
export function parseEnvironment(settings: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const s of settings) {
    for (const w of splitWords(s)) {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(w);
      if (!m) throw new UnitSyntaxError(`Environment=${s}: '${w}' is not KEY=VALUE`);
      env[m[1]] = m[2];
    }
  }
  return env;
}

/** Splits at unquoted whitespace; double and single quotes group and are removed. */
export function splitWords(s: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2] ?? m[3]);
  return out;
}

/**
 * Turns an Exec line into argv as systemd runs it: strips the `-@:+!` prefixes, splits words, then
 * replaces a word that is exactly `$VAR` by the variable's whitespace-split words (none when unset
 * or empty) and `${VAR}` anywhere by its value as is. A `$` that is neither is an error.
 */
export function execArgv(line: string, env: Record<string, string>): string[] {
  const body = line.replace(/^[-@:+!]+/, '');
  const argv: string[] = [];
  for (const w of splitWords(body)) {
    const whole = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(w);
    if (whole) {
      argv.push(...(env[whole[1]] ?? '').split(/\s+/).filter((x) => x !== ''));
      continue;
    }
    const expanded = w.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_a, k: string) => env[k] ?? '');
    if (expanded.includes('$')) throw new UnitSyntaxError(`unsupported '$' in '${w}' of '${line}'`);
    argv.push(expanded);
  }
  return argv;
}
