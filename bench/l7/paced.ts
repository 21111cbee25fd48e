/**
 * Paced open-loop HTTP/1.1 load for `npm run bench:l7` (its half-load phase), run as a process
 * of its own: `node paced.js URL RATE CONNECTIONS SECONDS WARM_SECONDS HOST`.
 *
 * Request i is due at start + i / RATE: one global schedule, so requests leave evenly spaced
 * (to the timer's 1 ms granularity) instead of in bursts of one request per connection. A due
 * request takes an idle keep-alive connection and its latency counts from when it was sent
 * (the timer's lateness is the generator's, not the target's); when every connection is busy
 * with the target it waits, and its latency counts from the time it was due (open loop: a slow
 * target cannot slow the load down and hide its own queueing, the "coordinated omission" wrk2
 * corrects the same way). Requests due in the
 * first WARM_SECONDS are sent but not counted. Prints one JSON line: requests/s, p50, p99 (ms).
 */
import { connect as tcpConnect } from 'node:net';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { connect as tlsConnect } from 'node:tls';

const [urlText, rateText, connText, secondsText, warmText, hostHeader] = process.argv.slice(2);
const url = new URL(urlText);
const RATE = Number(rateText);
const CONNECTIONS = Number(connText);
const SECONDS = Number(secondsText);
const WARM = Number(warmText);
const request = Buffer.from(`GET ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${hostHeader}\r\nuser-agent: anypick-bench-paced\r\n\r\n`);
const tls = url.protocol === 'https:';
const port = Number(url.port || (tls ? 443 : 80));
const HEAD_END = Buffer.from('\r\n\r\n');

let start = 0;
let next = 0; // index of the next request to send
const total = Math.round(RATE * (WARM + SECONDS));
const backlog: number[] = []; // due times of requests waiting for a connection
const idle: Conn[] = [];
const times: number[] = [];
let non2xx = 0;
let errors = 0;
let outstanding = 0;

/** One keep-alive connection with at most one request under way. */
class Conn {
  private sock!: Socket;
  private buf: Buffer = Buffer.alloc(0);
  private due = -1;
  private from = 0; // when the latency of the request under way starts
  private need = -1; // bytes of the whole response once its head is parsed
  private status = 0;
  constructor() {
    this.open();
  }
  private open(): void {
    const s = tls ? tlsConnect({ host: url.hostname, port, rejectUnauthorized: false, servername: hostHeader }) : tcpConnect({ host: url.hostname, port });
    s.setNoDelay(true);
    s.on(tls ? 'secureConnect' : 'connect', () => this.free());
    s.on('data', (c: Buffer) => this.data(c));
    s.on('error', () => undefined);
    s.on('close', () => {
      // An idle connection the target closed leaves the idle list; a reopened one rejoins it.
      const i = idle.indexOf(this);
      if (i >= 0) idle.splice(i, 1);
      if (this.due >= 0) this.done(false);
      if (next < total || backlog.length) this.open();
    });
    this.sock = s;
  }
  send(due: number, from = due): void {
    this.due = due;
    this.from = from;
    this.buf = Buffer.alloc(0);
    this.need = -1;
    outstanding++;
    this.sock.write(request);
  }
  private data(c: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, c]) : c;
    if (this.need < 0) {
      const end = this.buf.indexOf(HEAD_END);
      if (end < 0) return;
      const head = this.buf.subarray(0, end).toString('latin1');
      this.status = Number(head.slice(9, 12));
      const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (!m) {
        // Every target answers with a length; anything else is counted as an error.
        this.sock.destroy();
        return;
      }
      this.need = end + 4 + Number(m[1]);
    }
    if (this.buf.length >= this.need) this.done(true);
  }
  private done(ok: boolean): void {
    const due = this.due;
    this.due = -1;
    outstanding--;
    if (due >= WARM * 1000) {
      if (!ok) errors++;
      else {
        if (this.status < 200 || this.status > 299) non2xx++;
        times.push(performance.now() - start - this.from);
      }
    }
    if (ok) this.free();
  }
  private free(): void {
    const due = backlog.shift();
    if (due !== undefined) this.send(due);
    else idle.push(this);
  }
  close(): void {
    this.sock.destroy();
  }
}

function tick(): void {
  const now = performance.now() - start;
  while (next < total && (next * 1000) / RATE <= now) {
    const due = (next++ * 1000) / RATE;
    const c = idle.pop();
    // Sent at once: timed from now, since the lateness of this timer is the generator's, not the
    // target's. Waiting for a connection (every one busy with the target): timed from when due.
    if (c) c.send(due, now);
    else backlog.push(due);
  }
  if (next < total) setTimeout(tick, Math.max(0, (next * 1000) / RATE - now));
  else setTimeout(finish, 0);
}

let finishing = 0;
function finish(): void {
  // Requests still under way get up to 2 s; those that never end count as errors.
  if ((outstanding > 0 || backlog.length > 0) && finishing++ < 200) return void setTimeout(finish, 10);
  errors += outstanding + backlog.length;
  const sorted = Float64Array.from(times).sort();
  const q = (p: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : NaN);
  process.stdout.write(JSON.stringify({ rps: sorted.length / SECONDS, p50: q(0.5), p99: q(0.99), non2xx, errors }) + '\n');
  for (const c of conns) c.close();
  process.exit(0);
}

const conns = Array.from({ length: CONNECTIONS }, () => new Conn());
// Connections open before the schedule starts.
setTimeout(() => {
  start = performance.now();
  tick();
}, 300);
