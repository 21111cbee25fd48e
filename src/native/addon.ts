import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The result of loading a native addon: the module, or why it is not there. */
export type AddonLoad<T> = { ok: true; addon: T; path: string } | { ok: false; reason: string };

function repoRoot(from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

const cache = new Map<string, AddonLoad<unknown>>();

/**
 * Loads the native addon `name` (a `target_name` in binding.gyp, built at install by
 * `scripts/build-native.js` into `build/Release/NAME.node`). Never throws: a missing or broken
 * build comes back as `{ ok: false, reason }` so the caller can fall back and say why.
 */
export function loadAddon<T>(name: string): AddonLoad<T> {
  const hit = cache.get(name);
  if (hit) return hit as AddonLoad<T>;
  let result: AddonLoad<T>;
  const root = repoRoot(__dirname);
  const path = root ? join(root, 'build', 'Release', `${name}.node`) : undefined;
  if (!path || !existsSync(path)) {
    result = { ok: false, reason: `native addon ${name} is not built (run npm ci with g++, make and Node headers)` };
  } else {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      result = { ok: true, addon: require(path) as T, path };
    } catch (err) {
      result = { ok: false, reason: `native addon ${name} failed to load: ${(err as Error).message}` };
    }
  }
  cache.set(name, result);
  return result;
}
