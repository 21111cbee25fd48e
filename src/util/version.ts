import { readFileSync } from 'node:fs';
import { join } from 'node:path';

let cached: string | undefined;

/** anypick's version, from package.json (read once). */
export function packageVersion(): string {
  cached ??= (JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  return cached;
}
