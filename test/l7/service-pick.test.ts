import { expect } from 'chai';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { loadAdmission } from '../../src/l7/admission/admission';
import { L7Proxy } from '../../src/l7/proxy/server';
import { ServicePickRoute } from '../../src/l7/service-pick/route';
import type { EntryConfig } from '../../src/l7/service-pick/members';
import { Backend, raw, statusOf } from './support/backends';

const ROOT = join(__dirname, '..', '..', '..');
const pos = { file: join(ROOT, 'zones', 'example.delivery'), line: 1, col: 1 };

function entries(gpu: Backend[], cpu: Backend[]): EntryConfig[] {
  const eps = (bs: Backend[]) => bs.map((b) => ({ name: b.name, host: '127.0.0.1', port: b.port, weight: 10 }));
  return [
    { name: 'service-with-gpu', priority: 10, weight: 100, dynamicWeight: false, requires: [], members: { kind: 'static', endpoints: eps(gpu) } },
    { name: 'service-without-gpu', priority: 25, weight: 250, dynamicWeight: false, requires: [], members: { kind: 'static', endpoints: eps(cpu) } },
  ];
}

/** Polls `cond` every 10 ms until it holds; fails after `ms`. */
async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !cond(); await new Promise((r) => setTimeout(r, 10))) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
  }
}

describe('l7/service pick proxy', function () {
  const gpu = [new Backend('gpu-1'), new Backend('gpu-2')];
  const cpu = [new Backend('cpu-1')];
  let proxy: L7Proxy;
  let route: ServicePickRoute;
  let port: number;
  /** The outlier detector's clock: ejections run out only when a test moves it. */
  let clock = 0;
  /** Requests the proxy has finished handling (answered, failed or given up on a gone client). */
  let handled = 0;
  let handling = 0;
  const url = (p: string) => `http://127.0.0.1:${port}${p}`;
  const host = { host: 'example.com' };
  let admission: ReturnType<typeof loadAdmission>;

  before(async () => {
    for (const b of [...gpu, ...cpu]) await b.start();
    admission = loadAdmission({
      kind: 'control',
      name: 'my-uri',
      pos,
      uri: { text: 'https://example.com/api/*', scheme: 'https', host: 'example.com', path: '/api/*', pos },
      schema: { path: 'example.com/api/openapi-v3.schema.json', pos },
    });
  });
  after(async () => {
    for (const b of [...gpu, ...cpu]) await b.stop();
  });
  // Every test gets its own route (fresh passive-health state on its own clock) and proxy, so
  // no test waits for another's ejections to run out and the order of tests does not matter.
  beforeEach(async () => {
    for (const b of [...gpu, ...cpu]) {
      b.seen = [];
      b.status = 200;
      b.delayMs = 0;
      await b.start();
    }
    clock = 0;
    handled = 0;
    handling = 0;
    route = new ServicePickRoute({ service: 'my-service', entries: entries(gpu, cpu), admission, outlier: { baseEjectionMs: 300, consecutiveFailures: 2, now: () => clock } });
    proxy = new L7Proxy(route, { scheme: 'https', headersTimeoutMs: 500, requestTimeoutMs: 1000, bodyIdleTimeoutMs: 300, maxBodyBytes: 4096, replayBufferBytes: 1024, maxHeaderBytes: 2048, upstreamHeadersTimeoutMs: 400 });
    const p = proxy as unknown as { handle(req: unknown, res: unknown): Promise<void> };
    const handle = p.handle.bind(proxy);
    p.handle = async (req, res) => {
      handling++;
      try {
        await handle(req, res);
      } finally {
        handling--;
        handled++;
      }
    };
    port = await proxy.listen(0, '127.0.0.1');
  });
  afterEach(async () => {
    await proxy.close();
  });

  async function get(p: string, headers: Record<string, string> = host) {
    const r = await request(url(p), { headers });
    const text = await r.body.text();
    return { status: r.statusCode, headers: r.headers, text, json: r.statusCode < 300 || r.headers['content-type']?.toString().includes('json') ? JSON.parse(text) : undefined };
  }

  it('forwards to the preferred priority only, sharing its members', async () => {
    const names = new Set<string>();
    for (let i = 0; i < 30; i++) names.add((await get('/api/items/1')).json.name);
    expect([...names].sort()).to.deep.equal(['gpu-1', 'gpu-2']);
  });

  it('adds Forwarded and X-Forwarded-* (RFC 7239) and keeps Host', async () => {
    await get('/api/health', { host: 'example.com', 'x-forwarded-for': '203.0.113.9' });
    const h = [...gpu, ...cpu].flatMap((b) => b.seen)[0].headers;
    expect(h.host).to.equal('example.com');
    expect(h.forwarded).to.equal('for=127.0.0.1;host=example.com;proto=https');
    // The peer (loopback) is a trusted proxy, so its X-Forwarded-For is kept and extended.
    expect(h['x-forwarded-for']).to.equal('203.0.113.9, 127.0.0.1');
    expect(h['x-forwarded-proto']).to.equal('https');
  });

  it('admission rejects with problem+json and forwards nothing', async () => {
    const cases: [string, string, Record<string, string>, string | undefined, number][] = [
      ['GET', '/api/nope', {}, undefined, 404],
      ['GET', '/other', {}, undefined, 404],
      ['PATCH', '/api/items/1', {}, undefined, 405],
      ['GET', '/api/items?limit=0', {}, undefined, 400],
      ['POST', '/api/items', { 'content-type': 'application/json' }, '{"name":', 400],
      ['POST', '/api/items', { 'content-type': 'application/json' }, '{"nom":"x"}', 422],
      ['POST', '/api/items', { 'content-type': 'text/plain' }, 'x', 415],
      ['POST', '/api/items', { 'content-type': 'application/json' }, JSON.stringify({ name: 'x'.repeat(5000) }), 413],
    ];
    for (const [method, p, hs, body, status] of cases) {
      const r = await request(url(p), { method: method as 'GET', headers: { ...host, ...hs }, body });
      const problem = (await r.body.json()) as { status: number; detail: string };
      expect(r.statusCode, `${method} ${p}`).to.equal(status);
      expect(r.headers['content-type']).to.equal('application/problem+json');
      expect(problem.status).to.equal(status);
      expect(problem.detail).to.be.a('string').and.not.equal('');
    }
    expect([...gpu, ...cpu].flatMap((b) => b.seen)).to.have.length(0);
  });

  it('dot segments are resolved before admission, so /api/../x cannot slip past the control', async () => {
    expect(statusOf(await raw(port, 'GET /api/../other HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n'))).to.equal(404);
    expect(statusOf(await raw(port, 'GET /api/items/%2e%2e/health HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n'))).to.equal(200);
    expect([...gpu, ...cpu].flatMap((b) => b.seen).map((x) => x.url)).to.deep.equal(['/api/health']);
  });

  it('Expect: 100-continue is answered here and not forwarded', async () => {
    const body = '{"name":"x"}';
    const text = await raw(port, `POST /api/items HTTP/1.1\r\nHost: example.com\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n${body}`);
    expect(text).to.match(/^HTTP\/1\.1 100 Continue/);
    expect(text).to.contain('HTTP/1.1 200 OK');
    const seen = [...gpu, ...cpu].flatMap((b) => b.seen);
    expect(seen.map((x) => x.body)).to.deep.equal([body]);
    expect(seen[0].headers.expect).to.equal(undefined);
  });

  it('a valid JSON body is buffered, validated and forwarded intact', async () => {
    const body = JSON.stringify({ name: 'lamp', price: 3 });
    const r = await request(url('/api/items'), { method: 'POST', headers: { ...host, 'content-type': 'application/json' }, body });
    expect(r.statusCode).to.equal(200);
    await r.body.dump();
    expect([...gpu, ...cpu].flatMap((b) => b.seen).map((s) => s.body)).to.deep.equal([body]);
  });

  it('a dead member is ejected, requests retry on another member, and it returns after its backoff', async () => {
    await gpu[0].stop();
    for (let i = 0; i < 20; i++) {
      const r = await get('/api/items/1');
      expect(r.status).to.equal(200);
      expect(r.json.name).to.equal('gpu-2');
    }
    expect(route.outlier.isEjected('service-with-gpu/gpu-1')).to.equal(true);
    await gpu[0].start();
    clock += 299;
    expect(route.outlier.isEjected('service-with-gpu/gpu-1'), 'still ejected 1 ms before the backoff ends').to.equal(true);
    clock += 1;
    expect(route.outlier.isEjected('service-with-gpu/gpu-1')).to.equal(false);
    const names = new Set<string>();
    for (let i = 0; i < 30; i++) names.add((await get('/api/items/1')).json.name);
    expect(names.has('gpu-1')).to.equal(true);
  });

  it('clients that go away mid-request do not count against the member', async () => {
    for (const b of gpu) b.delayMs = 150;
    for (let i = 0; i < 6; i++) {
      const text = await raw(port, 'GET /api/items/1 HTTP/1.1\r\nHost: example.com\r\n\r\n', 30);
      expect(text).to.equal('');
    }
    // Each request is finished (its upstream answered after 150 ms) before judging.
    await until(() => handled === 6 && handling === 0, 'the proxy finished the 6 requests');
    expect(route.outlier.ejected()).to.deep.equal([]);
  });

  it('a client that aborts a streamed upload ends the upstream request and does not count against the member', async () => {
    const orig = route.record.bind(route);
    const outcomes: string[] = [];
    route.record = (up, outcome) => {
      outcomes.push(outcome);
      orig(up, outcome);
    };
    try {
      for (let i = 0; i < 4; i++) {
        const text = await raw(port, 'POST /api/infer HTTP/1.1\r\nHost: example.com\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n', 50);
        expect(text).to.equal('');
      }
      // The proxy is done with all four: an upstream request left waiting would have ended only
      // at the upstream head timeout (400 ms), as a failure, recorded before the handler returns.
      await until(() => handled === 4 && handling === 0, 'the proxy finished the 4 uploads');
      expect(outcomes).to.deep.equal([]);
      expect(route.outlier.ejected()).to.deep.equal([]);
    } finally {
      route.record = orig;
    }
  });

  it('with every GPU member down the next priority serves (mode without GPU)', async () => {
    for (const b of gpu) await b.stop();
    const r = await get('/api/items/2');
    expect(r.status).to.equal(200);
    expect(r.json.name).to.equal('cpu-1');
    expect(route.decide().mode).to.equal('service-without-gpu');
  });

  it('5xx answers of idempotent requests are retried elsewhere; the last answer passes through', async () => {
    gpu[0].status = 503;
    for (let i = 0; i < 10; i++) expect((await get('/api/items/3')).json.name).to.equal('gpu-2');
    for (const b of [...gpu, ...cpu]) b.status = 500;
    const r = await get('/api/items/3');
    expect(r.status).to.equal(500);
  });

  it('a streamed body that cannot be replayed gets 502, never a silent drop', async () => {
    for (const b of [...gpu, ...cpu]) await b.stop();
    const r = await request(url('/api/infer'), { method: 'POST', headers: { ...host, 'content-type': 'application/octet-stream' }, body: Readable.from([Buffer.alloc(2000, 1)]) });
    const p = (await r.body.json()) as { type: string; detail: string };
    expect(r.statusCode).to.equal(502);
    expect(p.type).to.contain('E_NOT_REPLAYABLE');
  });

  it('an upstream that does not answer in time gives 504', async () => {
    for (const b of [...gpu, ...cpu]) b.delayMs = 2500;
    const r = await request(url('/api/items'), { method: 'POST', headers: { ...host, 'content-type': 'application/json' }, body: '{"name":"x"}' });
    expect(r.statusCode).to.equal(504);
    expect(((await r.body.json()) as { type: string }).type).to.contain('E_UPSTREAM_TIMEOUT');
    for (const b of [...gpu, ...cpu]) await b.stop(); // drops the held responses; beforeEach restarts them
  });

  describe('bad input: a clear 4xx and the proxy keeps serving', () => {
    const cases: [string, string | Buffer, number][] = [
      ['oversized headers', `GET /api/health HTTP/1.1\r\nHost: example.com\r\nX-Big: ${'a'.repeat(4000)}\r\n\r\n`, 431],
      ['malformed request line', 'GARBAGE\r\n\r\n', 400],
      ['bad header syntax', 'GET /api/health HTTP/1.1\r\nHost example.com\r\n\r\n', 400],
      ['missing Host', 'GET /api/health HTTP/1.1\r\n\r\n', 400],
      ['both Content-Length and chunked', 'POST /api/infer HTTP/1.1\r\nHost: example.com\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
      ['declared body too large', 'POST /api/infer HTTP/1.1\r\nHost: example.com\r\nContent-Type: application/octet-stream\r\nContent-Length: 999999\r\n\r\n', 413],
      ['slow client never finishes its head', 'GET /api/health HTTP/1.1\r\nHost: example.com\r\n', 408],
      ['slow client stops sending a JSON body', 'POST /api/items HTTP/1.1\r\nHost: example.com\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{"na', 408],
      ['bad chunked encoding', 'POST /api/infer HTTP/1.1\r\nHost: example.com\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n', 400],
    ];
    for (const [name, data, status] of cases) {
      it(`${name} → ${status}`, async () => {
        const text = await raw(port, data, 3000);
        expect(statusOf(text), text.slice(0, 200)).to.equal(status);
        expect(text).to.contain('application/problem+json');
        expect((await get('/api/health')).status).to.equal(200);
      });
    }
    it('no connection is left open after the bad inputs (no leak)', async () => {
      // All the bad inputs at once on this test's own proxy, then every raw socket must close.
      await Promise.all(cases.map(([, data]) => raw(port, data, 3000)));
      const open = () => new Promise<number>((r) => proxy.server.getConnections((_e, n) => r(n)));
      let n = await open();
      for (let i = 0; i < 100 && n > 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        n = await open();
      }
      expect(n).to.equal(0);
    });
    it('a streamed body over the limit is cut with 413', async () => {
      const r = await request(url('/api/infer'), { method: 'POST', headers: { ...host, 'content-type': 'application/octet-stream' }, body: Readable.from(Array.from({ length: 10 }, () => Buffer.alloc(1000, 1))) }).catch((e: Error) => e);
      if (r instanceof Error) return; // the proxy may close the connection while the client is still sending
      expect(r.statusCode).to.equal(413);
      await r.body.dump();
    });
  });
});
