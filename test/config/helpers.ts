import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { loadPaths } from '../../src/config/load';
import type { LoadResult } from '../../src/config/load';
import type { SourceError } from '../../src/util/source-error';

/** Writes `files` (relative name → text) into a fresh temporary directory. */
export function writeTree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'anypick-config-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** Loads `files` from a temporary directory; diagnostics are formatted with paths relative to it. */
export function loadTree(files: Record<string, string>, paths?: string[]): { result: LoadResult; errors: string[]; warnings: string[] } {
  const dir = writeTree(files);
  try {
    const result = loadPaths((paths ?? ['.']).map((p) => join(dir, p)));
    const fmt = (e: SourceError): string => `${relative(dir, e.pos.file)}:${e.pos.line}:${e.pos.col}: ${e.message.split(dir + '/').join('')}`;
    return { result, errors: result.errors.map(fmt), warnings: result.warnings.map(fmt) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
