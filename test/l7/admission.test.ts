import { expect } from 'chai';
import { join } from 'node:path';
import { Admission, AdmissionLoadError, loadAdmission } from '../../src/l7/admission/admission';
import type { AdmissionRequest } from '../../src/l7/admission/admission';
import { ProblemError } from '../../src/l7/problem';
import { OpenApiError, compileOpenApi } from '../../src/l7/admission/openapi';
import { parseUriPattern } from '../../src/l7/admission/uri-pattern';

const ROOT = join(__dirname, '..', '..', '..');
const pos = { file: join(ROOT, 'zones', 'example.delivery'), line: 1, col: 1 };

function control(uri: string | undefined, schema?: string): Admission {
  const u = uri ? /^(\w+):\/\/([^/]+)(\/.*)$/.exec(uri)! : undefined;
  return loadAdmission({
    kind: 'control',
    name: 'my-uri',
    pos,
    uri: u ? { text: uri!, scheme: u[1], host: u[2], path: u[3], pos } : undefined,
    schema: schema ? { path: schema, pos } : undefined,
  });
}

function req(method: string, url: string, headers: Record<string, string> = {}): AdmissionRequest {
  const u = new URL(url);
  return {
    method,
    scheme: u.protocol.slice(0, -1),
    host: u.hostname,
    port: u.port ? Number(u.port) : undefined,
    path: u.pathname,
    query: u.searchParams,
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
  };
}

function outcome(a: Admission, r: AdmissionRequest, body?: string): number | string {
  try {
    const ok = a.admit(r);
    if (body !== undefined && ok.body) ok.body.validate(Buffer.from(body));
    return ok.body && body === undefined ? 'buffer' : 200;
  } catch (err) {
    if (err instanceof ProblemError) return err.status;
    throw err;
  }
}

describe('l7/admission', () => {
  describe('URI pattern', () => {
    const p = parseUriPattern('https://example.com/api/*');
    const table: [string, boolean][] = [
      ['https://example.com/api/', true],
      ['https://example.com/api/items/3', true],
      ['https://EXAMPLE.com/api/x', true],
      ['https://example.com:443/api/x', true],
      ['https://example.com:8443/api/x', true],
      ['http://example.com/api/x', false],
      ['https://example.org/api/x', false],
      ['https://example.com/apix', false],
      ['https://example.com/', false],
    ];
    for (const [url, ok] of table) {
      it(`${ok ? 'admits' : 'refuses'} ${url}`, () => {
        const u = new URL(url);
        expect(p.matches({ scheme: u.protocol.slice(0, -1), host: u.hostname, port: u.port ? Number(u.port) : undefined, path: u.pathname })).to.equal(ok);
      });
    }
    it('an explicit port must match', () => {
      const q = parseUriPattern('http://h:8080/*');
      expect(q.matches({ scheme: 'http', host: 'h', port: 8080, path: '/a' })).to.equal(true);
      expect(q.matches({ scheme: 'http', host: 'h', path: '/a' })).to.equal(false);
    });
    it('a host glob matches subdomains', () => {
      expect(parseUriPattern('https://*.example.com/*').matches({ scheme: 'https', host: 'a.example.com', path: '/' })).to.equal(true);
    });
  });

  describe('seed example 1 schema (zones/example.com/api/openapi-v3.schema.json)', () => {
    const a = control('https://example.com/api/*', 'example.com/api/openapi-v3.schema.json');
    const json = { 'content-type': 'application/json', 'content-length': '10' };
    const table: { name: string; method: string; url: string; headers?: Record<string, string>; body?: string; expect: number | string }[] = [
      { name: 'GET /health', method: 'GET', url: 'https://example.com/api/health', expect: 200 },
      { name: 'HEAD falls back to GET', method: 'HEAD', url: 'https://example.com/api/health', expect: 200 },
      { name: 'GET /items?limit=5&tag=a&tag=b', method: 'GET', url: 'https://example.com/api/items?limit=5&tag=a&tag=b', expect: 200 },
      { name: 'limit above maximum', method: 'GET', url: 'https://example.com/api/items?limit=500', expect: 400 },
      { name: 'limit not an integer', method: 'GET', url: 'https://example.com/api/items?limit=abc', expect: 400 },
      { name: 'path parameter ok', method: 'GET', url: 'https://example.com/api/items/42', expect: 200 },
      { name: 'path parameter not an integer', method: 'GET', url: 'https://example.com/api/items/abc', expect: 400 },
      { name: 'path parameter below minimum', method: 'DELETE', url: 'https://example.com/api/items/0', expect: 400 },
      { name: 'unknown path inside the pattern', method: 'GET', url: 'https://example.com/api/nope', expect: 404 },
      { name: 'URI outside the control pattern', method: 'GET', url: 'https://example.com/other', expect: 404 },
      { name: 'wrong host', method: 'GET', url: 'https://evil.example/api/health', expect: 404 },
      { name: 'method not allowed', method: 'PATCH', url: 'https://example.com/api/items/1', expect: 405 },
      { name: 'POST without a body', method: 'POST', url: 'https://example.com/api/items', expect: 400 },
      { name: 'POST with a JSON body must be buffered', method: 'POST', url: 'https://example.com/api/items', headers: json, expect: 'buffer' },
      { name: 'POST valid body', method: 'POST', url: 'https://example.com/api/items', headers: json, body: '{"name":"x","price":1,"note":null}', expect: 200 },
      { name: 'POST body missing a required property', method: 'POST', url: 'https://example.com/api/items', headers: json, body: '{"price":1}', expect: 422 },
      { name: 'POST body with an extra property', method: 'POST', url: 'https://example.com/api/items', headers: json, body: '{"name":"x","admin":true}', expect: 422 },
      { name: 'POST body of the wrong type', method: 'POST', url: 'https://example.com/api/items', headers: json, body: '{"name":7}', expect: 422 },
      { name: 'POST malformed JSON', method: 'POST', url: 'https://example.com/api/items', headers: json, body: '{"name":', expect: 400 },
      { name: 'POST wrong media type', method: 'POST', url: 'https://example.com/api/items', headers: { 'content-type': 'text/plain', 'content-length': '3' }, expect: 415 },
      { name: 'POST /infer octet-stream streams unvalidated', method: 'POST', url: 'https://example.com/api/infer', headers: { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' }, expect: 200 },
      { name: 'POST /infer enum violated', method: 'POST', url: 'https://example.com/api/infer', headers: json, body: '{"model":"huge","input":"x"}', expect: 422 },
      { name: 'POST /infer bad header format', method: 'POST', url: 'https://example.com/api/infer', headers: { ...json, 'x-request-id': 'nope' }, body: '{"model":"small","input":"x"}', expect: 400 },
      { name: 'POST /infer good header', method: 'POST', url: 'https://example.com/api/infer', headers: { ...json, 'x-request-id': '123e4567-e89b-12d3-a456-426614174000' }, body: '{"model":"small","input":"x"}', expect: 200 },
    ];
    for (const t of table) {
      it(`${t.name} → ${t.expect}`, () => {
        expect(outcome(a, req(t.method, t.url, t.headers), t.body)).to.equal(t.expect);
      });
    }

    it('the problem says what failed', () => {
      try {
        a.admit(req('POST', 'https://example.com/api/items', json)).body!.validate(Buffer.from('{"price":-1}'));
        expect.fail('admitted');
      } catch (err) {
        const p = (err as ProblemError).toProblem();
        expect(p).to.include({ status: 422, title: 'Unprocessable Content' });
        expect(p.detail).to.contain('POST /items');
        expect(p.errors!.map((e) => e.where)).to.include.members(['body', 'body/price']);
      }
    });
    it('405 carries an Allow header', () => {
      try {
        a.admit(req('PATCH', 'https://example.com/api/items/1'));
        expect.fail('admitted');
      } catch (err) {
        expect((err as ProblemError).headers.allow).to.equal('GET, PUT, DELETE');
      }
    });
  });

  describe('load errors', () => {
    it('a missing schema file names the control and position', () => {
      expect(() => control('https://example.com/*', 'nope/missing.json')).to.throw(AdmissionLoadError, /example\.delivery:1:1: control 'my-uri'/);
    });
    it('a URL schema is refused (no network fetch)', () => {
      expect(() => control('https://example.com/*', 'https://example.com/s.json')).to.throw(AdmissionLoadError, /only files/);
    });
    const bad: [string, unknown, RegExp][] = [
      ['not OpenAPI 3', { swagger: '2.0', paths: {} }, /3\.0\.x or 3\.1\.x/],
      ['unresolved $ref', { openapi: '3.0.0', paths: { '/a': { get: { parameters: [{ $ref: '#/components/parameters/X' }] } } } }, /unresolved \$ref/],
      ['path without slash', { openapi: '3.0.0', paths: { a: {} } }, /must start with/],
    ];
    for (const [name, doc, re] of bad) {
      it(name, () => expect(() => compileOpenApi(doc, 's.json')).to.throw(OpenApiError, re));
    }
    it('OpenAPI 3.1 schemas compile with JSON Schema 2020-12', () => {
      const site = compileOpenApi({ openapi: '3.1.0', paths: { '/a': { post: { requestBody: { content: { 'application/json': { schema: { type: ['string', 'null'] } } } } } } } }, 's.json');
      const a = new Admission('c', undefined, site);
      const ok = a.admit(req('POST', 'http://h/a', { 'content-type': 'application/json', 'content-length': '4' }));
      expect(() => ok.body!.validate(Buffer.from('null'))).not.to.throw();
      expect(() => ok.body!.validate(Buffer.from('1'))).to.throw(ProblemError);
    });
  });
});
