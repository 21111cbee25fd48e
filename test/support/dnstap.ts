/**
 * The dnstap collectors the users run: `fstrm_capture` (fstrm-bin) as the Frame Streams
 * reader and `dnstap-read -y` (bind9-dnsutils) to read what it wrote, as YAML documents.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { parseAllDocuments } from 'yaml';

/** A running `fstrm_capture`. */
export interface Capture {
  child: ChildProcess;
  /** Its stderr so far. */
  log(): string;
  /** SIGINT: fstrm_capture writes the file's STOP frame, closes it and exits; resolves then. */
  stop(): Promise<void>;
  /** SIGKILL (a collector that dies without closing anything). */
  kill(): Promise<void>;
}

/**
 * Starts `fstrm_capture ARGS…` (e.g. `-t protobuf:dnstap.Dnstap -u SOCK -w FILE`) and
 * resolves once it says it opened its output file (it listens from then on).
 */
export function startCapture(args: string[]): Promise<Capture> {
  const child = spawn('fstrm_capture', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const cap: Capture = {
    child,
    log: () => log,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      await exited;
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fstrm_capture did not open its output within 10 s:\n${log}`)), 10_000);
    const early = (code: number | null): void => {
      clearTimeout(timer);
      reject(new Error(`fstrm_capture exited with ${code}:\n${log}`));
    };
    child.once('exit', early);
    child.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (/opened output file/.test(log)) {
        clearTimeout(timer);
        child.off('exit', early);
        resolve(cap);
      }
    });
  });
}

/** One message of `dnstap-read -y` (the fields the tests read). */
export interface DnstapRecord {
  type: string;
  identity?: string;
  version?: string;
  message: {
    type: string;
    socket_family: string;
    socket_protocol: string;
    query_address: string;
    query_port: number;
    response_address?: string;
    response_port?: number;
    query_message_data?: DnsData;
    response_message_data?: DnsData;
  };
}

/** A DNS message as dnstap-read -y shows it. */
export interface DnsData {
  id: number;
  status: string;
  QUESTION_SECTION?: string[];
  ANSWER_SECTION?: string[];
  OPT_PSEUDOSECTION?: { EDNS?: Record<string, unknown> };
}

/** Runs `dnstap-read -y FILE` and parses its YAML documents. */
export function dnstapRead(file: string): Promise<{ text: string; records: DnstapRecord[] }> {
  return new Promise((resolve, reject) =>
    execFile('dnstap-read', ['-y', file], { maxBuffer: 256 << 20 }, (err, out, stderr) => {
      if (err) return reject(new Error(`dnstap-read -y ${file}: ${err.message}\n${stderr}`));
      const docs = parseAllDocuments(out, { version: '1.1' });
      const list = Array.isArray(docs) ? docs : [docs];
      const records = list.map((d) => d.toJS() as DnstapRecord).filter((r) => r && r.type === 'MESSAGE');
      resolve({ text: out, records });
    }),
  );
}

/** The ECS option of a message as dnstap-read shows it (`10.3.0.0/24/0`: address/source/scope). */
export function ecsOf(d: DnsData | undefined): string | undefined {
  const v = d?.OPT_PSEUDOSECTION?.EDNS?.['CLIENT-SUBNET'];
  return typeof v === 'string' ? v : undefined;
}
