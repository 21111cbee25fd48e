/** `dnsperf` as a load generator for tests: a fixed number of queries, the counts it reports. */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';

/** What dnsperf reports. */
export interface DnsperfResult {
  sent: number;
  completed: number;
  lost: number;
  qps: number;
  /** Replies by RCODE, e.g. { NOERROR: 30000 }. */
  rcodes: Record<string, number>;
  text: string;
}

/**
 * Sends the `queries` ('name TYPE' lines, written to `file`) `times` times over to
 * 127.0.0.1:`port` and resolves with dnsperf's counts.
 */
export function dnsperf(port: number, queries: string[], times: number, file: string): Promise<DnsperfResult> {
  writeFileSync(file, queries.join('\n') + '\n');
  return new Promise((resolve, reject) =>
    execFile('dnsperf', ['-s', '127.0.0.1', '-p', String(port), '-d', file, '-n', String(times), '-c', '2', '-q', '50', '-t', '2'], { maxBuffer: 16 << 20 }, (err, out) => {
      if (err) return reject(new Error(`dnsperf: ${err.message}\n${out}`));
      const num = (re: RegExp): number => Number(re.exec(out)?.[1] ?? NaN);
      const rcodes: Record<string, number> = {};
      const codes = /Response codes:\s+(.*)/.exec(out)?.[1] ?? '';
      for (const m of codes.matchAll(/([A-Z]+) (\d+)/g)) rcodes[m[1]] = Number(m[2]);
      resolve({ sent: num(/Queries sent:\s+(\d+)/), completed: num(/Queries completed:\s+(\d+)/), lost: num(/Queries lost:\s+(\d+)/), qps: num(/Queries per second:\s+([\d.]+)/), rcodes, text: out });
    }),
  );
}
