/**
 * A zone's DNSSEC settings file, `zones/<name>.dnssec` beside `<name>.zone`:
 *
 *     # comments and blank lines are ignored
 *     keys: keys/example.com          # BIND K-files (dnssec-keygen), relative to this file
 *     signature-validity: 14d         # RRSIG lifetime from inception
 *     refresh: 4d                     # re-sign when less than this remains
 *     inception-offset: 1h            # inception back-dated for clock skew
 *
 * Only `keys` is required. Errors are `file:line:col: message`.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { SourceError } from '../util/source-error';
import type { SourcePos } from '../util/source-error';
import { parseDuration } from '../util/duration';

export interface DnssecSettings {
  file: string;
  keysDir: string;
  /** Where `keys:` was written (key errors are reported there). */
  keysPos: SourcePos;
  /** Seconds. */
  validity: number;
  refresh: number;
  inceptionOffset: number;
}

export const DEFAULT_SETTINGS = { validity: 14 * 86400, refresh: 4 * 86400, inceptionOffset: 3600 };

const DURATIONS: Record<string, 'validity' | 'refresh' | 'inceptionOffset'> = {
  'signature-validity': 'validity',
  refresh: 'refresh',
  'inception-offset': 'inceptionOffset',
};

/** Parses the text of a settings file; `file` names it in errors and anchors `keys`. */
export function parseDnssecSettings(text: string, file: string): DnssecSettings {
  const out: Partial<DnssecSettings> & typeof DEFAULT_SETTINGS = { ...DEFAULT_SETTINGS };
  const seen = new Set<string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const hash = raw.indexOf('#');
    const line = hash >= 0 ? raw.slice(0, hash) : raw;
    if (line.trim() === '') continue;
    const col = line.length - line.trimStart().length + 1;
    const at = (c: number): { file: string; line: number; col: number } => ({ file, line: i + 1, col: c });
    const m = /^\s*([a-z-]+)\s*:\s*(\S.*?)?\s*$/.exec(line);
    if (!m) throw new SourceError(at(col), "expected 'setting: value'", 'E_DNSSEC_SETTINGS');
    const key = m[1]!;
    const value = m[2];
    const vcol = line.indexOf(':') + 2 + (line.slice(line.indexOf(':') + 1).length - line.slice(line.indexOf(':') + 1).trimStart().length);
    if (value === undefined) throw new SourceError(at(vcol - 1), `${key} needs a value`, 'E_DNSSEC_SETTINGS');
    if (seen.has(key)) throw new SourceError(at(col), `${key} is set twice`, 'E_DNSSEC_SETTINGS');
    seen.add(key);
    if (key === 'keys') {
      out.keysDir = isAbsolute(value) ? value : resolve(dirname(file), value);
      out.keysPos = at(vcol);
    } else if (DURATIONS[key]) {
      try {
        out[DURATIONS[key]] = Math.round(parseDuration(value) / 1000);
      } catch (err) {
        throw new SourceError(at(vcol), (err as Error).message, 'E_DNSSEC_SETTINGS');
      }
    } else {
      throw new SourceError(at(col), `unknown setting '${key}' (keys, signature-validity, refresh, inception-offset)`, 'E_DNSSEC_SETTINGS');
    }
  }
  if (out.keysDir === undefined) throw new SourceError({ file, line: 1, col: 1 }, "'keys: DIR' is required", 'E_DNSSEC_SETTINGS');
  if (out.refresh >= out.validity) throw new SourceError({ file, line: 1, col: 1 }, `refresh (${out.refresh}s) must be shorter than signature-validity (${out.validity}s)`, 'E_DNSSEC_SETTINGS');
  return { file, keysDir: out.keysDir, keysPos: out.keysPos ?? { file, line: 1, col: 1 }, validity: out.validity, refresh: out.refresh, inceptionOffset: out.inceptionOffset };
}

/** Reads a settings file. */
export function loadDnssecSettings(file: string): DnssecSettings {
  return parseDnssecSettings(readFileSync(file, 'utf8'), file);
}
