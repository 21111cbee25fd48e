/**
 * OpenAPI v3 (3.0 and 3.1) request validation for `match-site-schema`: the document is compiled
 * once at load into operations with ajv validators for path, query and header parameters and
 * JSON request bodies. Per request only matching and the compiled validators run.
 */
import Ajv from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { ProblemError } from '../problem';
import { addFormats, rewriteSchema } from './schema-rewrite';

/** Thrown at load for a schema document that is not usable OpenAPI v3. */
export class OpenApiError extends Error {
  override readonly name = 'OpenApiError';
  readonly code = 'E_OPENAPI';
}

type Json = Record<string, unknown>;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

interface CompiledParam {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  isArray: boolean;
  validate: ValidateFunction;
}

/** What a matched operation expects of the request body. */
export interface BodySpec {
  required: boolean;
  /** Media ranges accepted (`application/json`, `application/*`, `*\/*`), with a JSON validator or null. */
  media: { range: string; validate: ValidateFunction | null }[];
}

/** One compiled operation. */
export interface CompiledOperation {
  method: string;
  template: string;
  operationId?: string;
  params: CompiledParam[];
  body?: BodySpec;
}

interface CompiledPath {
  template: string;
  regex: RegExp;
  names: string[];
  literal: number;
  ops: Map<string, CompiledOperation>;
}

/** A compiled site schema. */
export interface CompiledSite {
  /** Path prefix from `servers[0].url` (no trailing slash; '' for none). */
  basePath: string;
  paths: CompiledPath[];
}

function asObj(v: unknown, where: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new OpenApiError(`${where}: expected an object`);
  return v as Json;
}

function deref(doc: Json, v: unknown, where: string): Json {
  const o = asObj(v, where);
  if (typeof o.$ref !== 'string') return o;
  const m = /^#\/components\/(\w+)\/([^/]+)$/.exec(o.$ref);
  const target = m ? (((doc.components as Json | undefined)?.[m[1]] as Json | undefined)?.[m[2]]) : undefined;
  if (!target) throw new OpenApiError(`${where}: unresolved $ref '${o.$ref}'`);
  return asObj(target, o.$ref);
}

/** Formats ajv errors as `where: message` lines for a problem body. */
export function ajvErrors(prefix: string, errors: ErrorObject[] | null | undefined): { where: string; message: string }[] {
  return (errors ?? []).map((e) => ({
    where: `${prefix}${e.instancePath}`,
    message: `${e.message ?? 'invalid'}${e.keyword === 'additionalProperties' ? ` ('${String((e.params as Json).additionalProperty)}')` : ''}`,
  }));
}

/** Compiles an OpenAPI v3 document (already parsed JSON). */
export function compileOpenApi(input: unknown, source: string): CompiledSite {
  const doc = asObj(input, source);
  const version = typeof doc.openapi === 'string' ? doc.openapi : JSON.stringify(doc.openapi ?? '');
  if (!/^3\.[01]\.\d+$/.test(version)) throw new OpenApiError(`${source}: 'openapi' must be 3.0.x or 3.1.x, got '${version}'`);
  const is31 = version.startsWith('3.1');
  const opts = { strict: false, allErrors: true } as const;
  const bodyAjv = is31 ? new Ajv2020(opts) : new Ajv(opts);
  const paramAjv = is31 ? new Ajv2020({ ...opts, coerceTypes: 'array' }) : new Ajv({ ...opts, coerceTypes: 'array' });
  for (const a of [bodyAjv, paramAjv]) {
    addFormats(a);
    a.addSchema({ $id: 'site.json', components: rewriteSchema((doc.components as Json | undefined) ?? {}, !is31) });
  }
  const schemaOf = (s: unknown): Json => rewriteSchema(s ?? {}, !is31) as Json;
  const servers = Array.isArray(doc.servers) ? (doc.servers as Json[]) : [];
  const serverUrl = typeof servers[0]?.url === 'string' ? (servers[0].url as string) : '/';
  const basePath = (/^[a-z]+:\/\/[^/]*(\/.*)?$/i.exec(serverUrl)?.[1] ?? serverUrl).replace(/\/+$/, '');
  const paths: CompiledPath[] = [];
  for (const [template, itemRaw] of Object.entries(asObj(doc.paths ?? {}, `${source}: paths`))) {
    if (!template.startsWith('/')) throw new OpenApiError(`${source}: path '${template}' must start with '/'`);
    const item = asObj(itemRaw, `${source}: paths.${template}`);
    const names: string[] = [];
    const pattern = template.split(/(\{[^}]+\})/).map((part) => {
      const m = /^\{([^}]+)\}$/.exec(part);
      if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(m[1]);
      return '([^/]+)';
    });
    const cp: CompiledPath = { template, regex: new RegExp(`^${pattern.join('')}$`), names, literal: template.replace(/\{[^}]+\}/g, '').length, ops: new Map() };
    const common: unknown[] = Array.isArray(item.parameters) ? item.parameters : [];
    for (const method of METHODS) {
      if (!item[method]) continue;
      const where = `${source}: ${method.toUpperCase()} ${template}`;
      const op = asObj(item[method], where);
      const byKey = new Map<string, Json>();
      for (const p of [...common, ...(Array.isArray(op.parameters) ? (op.parameters as unknown[]) : [])]) {
        const d = deref(doc, p, where);
        byKey.set(`${String(d.in)}:${String(d.name)}`, d);
      }
      const params: CompiledParam[] = [];
      for (const p of byKey.values()) {
        if (p.in !== 'path' && p.in !== 'query' && p.in !== 'header') continue;
        const schema = schemaOf(p.schema);
        const name = p.in === 'header' ? String(p.name).toLowerCase() : String(p.name);
        params.push({
          name,
          in: p.in,
          required: p.in === 'path' || p.required === true,
          isArray: schema.type === 'array',
          validate: paramAjv.compile({ type: 'object', properties: { value: schema } }),
        });
      }
      let body: BodySpec | undefined;
      if (op.requestBody) {
        const rb = deref(doc, op.requestBody, `${where} requestBody`);
        const content = asObj(rb.content ?? {}, `${where} requestBody.content`);
        body = {
          required: rb.required === true,
          media: Object.entries(content).map(([range, m]) => {
            const mo = asObj(m ?? {}, `${where} ${range}`);
            const json = /^application\/(json|[^;]*\+json)$/i.test(range);
            return { range: range.toLowerCase(), validate: json && mo.schema ? bodyAjv.compile(schemaOf(mo.schema)) : null };
          }),
        };
      }
      cp.ops.set(method.toUpperCase(), { method: method.toUpperCase(), template, operationId: op.operationId as string | undefined, params, body });
    }
    paths.push(cp);
  }
  // OpenAPI 3.1 §4.8.8: concrete paths match before templated ones.
  paths.sort((a, b) => b.literal - a.literal);
  return { basePath, paths };
}

/** The request parts that OpenAPI validation reads. */
export interface SiteRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
}

/** Matches and validates method, path and parameters; throws ProblemError (404/405/400). */
export function matchOperation(site: CompiledSite, req: SiteRequest): CompiledOperation {
  let rel = req.path;
  if (site.basePath) {
    if (rel !== site.basePath && !rel.startsWith(site.basePath + '/')) throw new ProblemError(404, 'E_NO_PATH', `path '${req.path}' is outside the site schema's server '${site.basePath}'`);
    rel = rel.slice(site.basePath.length) || '/';
  }
  let found: { cp: CompiledPath; values: string[] } | undefined;
  for (const cp of site.paths) {
    const m = cp.regex.exec(rel);
    if (m) {
      found = { cp, values: m.slice(1) };
      break;
    }
  }
  if (!found) throw new ProblemError(404, 'E_NO_PATH', `no operation in the site schema matches path '${req.path}'`);
  const method = req.method === 'HEAD' && !found.cp.ops.has('HEAD') ? 'GET' : req.method;
  const op = found.cp.ops.get(method);
  if (!op) {
    const allow = [...found.cp.ops.keys()].join(', ');
    throw new ProblemError(405, 'E_METHOD', `method ${req.method} is not allowed on '${found.cp.template}' (allowed: ${allow})`, { headers: { allow } });
  }
  const errors: { where: string; message: string }[] = [];
  for (const p of op.params) {
    let value: unknown;
    if (p.in === 'path') {
      try {
        value = decodeURIComponent(found.values[found.cp.names.indexOf(p.name)] ?? '');
      } catch {
        errors.push({ where: `path.${p.name}`, message: 'invalid percent-encoding' });
        continue;
      }
    } else if (p.in === 'query') {
      const all = req.query.getAll(p.name);
      value = all.length === 0 ? undefined : p.isArray ? all : all[0];
    } else {
      const h = req.headers[p.name];
      value = Array.isArray(h) ? (p.isArray ? h : h[0]) : h;
    }
    if (value === undefined) {
      if (p.required) errors.push({ where: `${p.in}.${p.name}`, message: 'is required' });
      continue;
    }
    if (!p.validate({ value })) errors.push(...ajvErrors(`${p.in}.${p.name}`, p.validate.errors).map((e) => ({ ...e, where: e.where.replace(/\/value/, '') })));
  }
  if (errors.length) throw new ProblemError(400, 'E_PARAMETERS', `invalid parameters for ${op.method} ${op.template}`, { errors });
  return op;
}
