/**
 * `admit: control.NAME` — the service pick's admission: the request URI must match the control's
 * `uri` pattern and, when `match-site-schema` is set, the OpenAPI v3 site schema (method, path,
 * parameters, JSON body). Built once at load; per request it only matches.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Control } from '../../config/model';
import { ProblemError } from '../problem';
import { ajvErrors, compileOpenApi, matchOperation } from './openapi';
import type { BodySpec, CompiledSite } from './openapi';
import { compileUriPattern } from './uri-pattern';
import type { RequestUri, UriPattern } from './uri-pattern';

/** What admission needs of a request (the proxy fills it from the request line and headers). */
export interface AdmissionRequest extends RequestUri {
  method: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
}

/** A JSON body the proxy must buffer (up to its body limit) and hand to `validate`. */
export interface BodyCheck {
  /** Throws ProblemError 400 (malformed JSON) or 422 (violates the schema). */
  validate(body: Buffer): void;
}

/** Result of admitting the request head. */
export interface Admitted {
  /** `METHOD /template` of the matched operation, when a site schema is used. */
  operation?: string;
  /** Present when the body must be buffered and validated before forwarding. */
  body?: BodyCheck;
}

/** Thrown at load when a control cannot be compiled (bad pattern, unreadable or invalid schema). */
export class AdmissionLoadError extends Error {
  override readonly name = 'AdmissionLoadError';
  readonly code = 'E_ADMISSION_LOAD';
}

function mediaType(h: string | string[] | undefined): string | undefined {
  const v = Array.isArray(h) ? h[0] : h;
  return v?.split(';')[0].trim().toLowerCase() || undefined;
}

function rangeMatches(range: string, media: string): boolean {
  if (range === '*/*' || range === media) return true;
  return range.endsWith('/*') && media.startsWith(range.slice(0, -1));
}

function hasBody(req: AdmissionRequest): boolean {
  const len = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (len !== undefined && len !== '0');
}

function checkBody(spec: BodySpec | undefined, req: AdmissionRequest, where: string): BodyCheck | undefined {
  const present = hasBody(req);
  if (!spec) return undefined;
  if (!present) {
    if (spec.required) throw new ProblemError(400, 'E_BODY_REQUIRED', `${where} requires a request body`);
    return undefined;
  }
  const media = mediaType(req.headers['content-type']);
  const accepted = spec.media.map((m) => m.range);
  const m = media ? spec.media.find((x) => rangeMatches(x.range, media)) : undefined;
  if (!m) throw new ProblemError(415, 'E_MEDIA_TYPE', `${where} accepts ${accepted.join(', ')}; got '${media ?? 'no content-type'}'`);
  const validate = m.validate;
  if (!validate) return undefined;
  return {
    validate(body: Buffer): void {
      let data: unknown;
      try {
        data = JSON.parse(body.toString('utf8'));
      } catch (err) {
        throw new ProblemError(400, 'E_MALFORMED_JSON', `request body is not valid JSON: ${(err as Error).message}`);
      }
      if (!validate(data)) throw new ProblemError(422, 'E_SCHEMA', `request body violates the schema of ${where}`, { errors: ajvErrors('body', validate.errors) });
    },
  };
}

/** A compiled control. */
export class Admission {
  constructor(
    readonly name: string,
    /** The control's `uri` pattern, if any. */
    readonly pattern: UriPattern | undefined,
    private readonly site: CompiledSite | undefined,
  ) {}

  /** True when the control checks an OpenAPI site schema (which only the Node engine can). */
  get hasSiteSchema(): boolean {
    return this.site !== undefined;
  }

  /** Admits the request head or throws ProblemError (404, 405, 400, 415). */
  admit(req: AdmissionRequest): Admitted {
    if (this.pattern && !this.pattern.matches(req)) {
      const port = req.port ? `:${req.port}` : '';
      throw new ProblemError(404, 'E_NO_URI_MATCH', `${req.scheme}://${req.host}${port}${req.path} does not match control '${this.name}' (${this.pattern.text})`);
    }
    if (!this.site) return {};
    const op = matchOperation(this.site, req);
    const where = `${op.method} ${op.template}`;
    return { operation: where, body: checkBody(op.body, req, where) };
  }
}

/** Compiles a control; `match-site-schema` is read relative to the file that declares it. */
export function loadAdmission(control: Control): Admission {
  try {
    const pattern = control.uri ? compileUriPattern(control.uri) : undefined;
    let site: CompiledSite | undefined;
    if (control.schema) {
      const p = control.schema.path;
      if (/^[a-z]+:\/\//i.test(p)) throw new AdmissionLoadError(`match-site-schema '${p}': only files are supported (no network fetch)`);
      const file = isAbsolute(p) ? p : resolve(dirname(control.schema.pos.file), p);
      site = compileOpenApi(JSON.parse(readFileSync(file, 'utf8')) as unknown, file);
    }
    return new Admission(control.name, pattern, site);
  } catch (err) {
    if (err instanceof AdmissionLoadError) throw err;
    const pos = control.schema?.pos ?? control.pos;
    throw new AdmissionLoadError(`${pos.file}:${pos.line}:${pos.col}: control '${control.name}': ${(err as Error).message}`, { cause: err });
  }
}
