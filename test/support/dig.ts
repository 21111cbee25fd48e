import { execFile } from 'node:child_process';

/**
 * `dig +short` for `name`/`type` at 127.0.0.1:`port` (one try, 2 s): the answer lines, sorted.
 * Rejects when dig fails (a timeout is not an empty answer).
 */
export function digShort(port: number, name: string, type: string): Promise<string[]> {
  return new Promise((resolve, reject) =>
    execFile('dig', ['@127.0.0.1', '-p', String(port), '+time=2', '+tries=1', '+short', type, name], (err, out) =>
      err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(out.split('\n').filter(Boolean).sort()),
    ),
  );
}
