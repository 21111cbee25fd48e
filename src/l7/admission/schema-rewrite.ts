/**
 * Prepares OpenAPI schema objects for ajv: `#/components/...` references point into the
 * document registered as `site.json`, and OpenAPI 3.0's `nullable: true` becomes a `null` type.
 */
import type Ajv from 'ajv';

/** Deep-copies `schema`, rewriting `$ref`s (and, for OpenAPI 3.0, `nullable`). */
export function rewriteSchema(schema: unknown, openapi30: boolean): unknown {
  if (Array.isArray(schema)) return schema.map((s) => rewriteSchema(s, openapi30));
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === '$ref' && typeof v === 'string' && v.startsWith('#/components/')) out[k] = `site.json${v}`;
    else out[k] = rewriteSchema(v, openapi30);
  }
  if (openapi30 && out.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  return out;
}

/** Registers the string formats the site schemas use (checked, not ignored). */
export function addFormats(ajv: Pick<Ajv, 'addFormat'>): void {
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  ajv.addFormat('date', /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/);
  ajv.addFormat('date-time', (s: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.test(s) && !Number.isNaN(Date.parse(s)));
  ajv.addFormat('email', /^[^\s@]+@[^\s@]+\.[^\s@]+$/);
  ajv.addFormat('uri', (s: string) => /^[a-z][a-z0-9+.-]*:/i.test(s) && URL.canParse(s));
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('float', { type: 'number', validate: () => true });
  ajv.addFormat('double', { type: 'number', validate: () => true });
  ajv.addFormat('byte', /^[A-Za-z0-9+/]*={0,2}$/);
  ajv.addFormat('binary', () => true);
  ajv.addFormat('password', () => true);
}
