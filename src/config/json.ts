/**
 * A readable JSON view of a load (for `anypick check --json`): positions as `file:line:col`,
 * references as `{ ref, at, resolved }` with a short summary of what they resolve to, zones
 * summarized by origin and record counts.
 */
import type { LoadResult } from './load';
import type { SourcePos } from '../util/source-error';

const REF_KINDS = new Set(['control', 'list', 'membership', 'dynamic-weight', 'check', 'application']);

function isPos(v: object): v is SourcePos {
  const k = Object.keys(v);
  return k.length === 3 && 'file' in v && 'line' in v && 'col' in v;
}

function at(p: SourcePos): string {
  return `${p.file}:${p.line}:${p.col}`;
}

/** A one-level summary of a reference target (no nested references, so no cycles). */
function summary(t: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of ['kind', 'name', 'tier', 'list', 'process', 'file', 'delivery', 'priority']) {
    if (t[key] !== undefined) out[key] = t[key];
  }
  if (t.pos) out.at = at(t.pos as SourcePos);
  if (t.uri) out.uri = (t.uri as { text: string }).text;
  if (t.schema) out.schema = (t.schema as { path: string }).path;
  if (t.listen) out.listen = (t.listen as { text: string }).text;
  if (Array.isArray(t.entries)) out.entries = (t.entries as { name: string }[]).map((e) => e.name);
  if (Array.isArray(t.processes)) out.processes = (t.processes as { name: string }[]).map((p) => p.name);
  if (typeof t.intervalMs === 'number') {
    // A process check block: its `kind` is the check kind (dns, http, …).
    out.kind = 'check';
    out.check = t.kind;
  }
  return out;
}

function view(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(view);
  const o = v as Record<string, unknown>;
  if (isPos(o)) return at(o);
  if (typeof o.kind === 'string' && REF_KINDS.has(o.kind) && typeof o.text === 'string' && o.pos) {
    const r: Record<string, unknown> = { ref: o.text, at: at(o.pos as SourcePos) };
    r.resolved = o.resolved ? summary(o.resolved as Record<string, unknown>) : null;
    if (Array.isArray(o.subscriptions)) r.fedBy = (o.subscriptions as { signal: string; channel: string }[]).map((s) => `${s.signal} @${s.channel}`);
    return r;
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) {
    if (x === undefined) continue;
    if (k === 'requires' && Array.isArray(x)) {
      out[k] = x.map((d: { name: string; pos: SourcePos; resolved?: Record<string, unknown> }) => ({ ref: d.name, at: at(d.pos), resolved: d.resolved ? summary(d.resolved) : null }));
      continue;
    }
    out[k] = view(x);
  }
  return out;
}

/** The JSON document `anypick check --json` prints. */
export function loadResultJson(r: LoadResult): unknown {
  return {
    valid: r.errors.length === 0,
    files: r.files,
    errors: r.errors.map((e) => ({ at: at(e.pos), code: e.code, message: e.message })),
    warnings: r.warnings.map((e) => ({ at: at(e.pos), code: e.code, message: e.message })),
    zones: r.zones.map((z) => {
      const byType: Record<string, number> = {};
      for (const rec of z.records) byType[rec.type] = (byType[rec.type] ?? 0) + 1;
      return { origin: z.origin, file: z.file, records: z.records.length, byType };
    }),
    model: view(r.model),
  };
}
