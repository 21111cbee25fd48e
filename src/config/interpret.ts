/**
 * Interprets one `*.delivery` file's tree into the shared model (top-level keywords:
 * control, list, service, process, delivery).
 */
import { basename } from 'node:path';
import { parseTree } from './lexer';
import { dispatch } from './context';
import type { LoadContext } from './context';
import { interpretControl, interpretService } from './interpret-service';
import { interpretList } from './interpret-list';
import { interpretProcess } from './interpret-process';
import { interpretDelivery } from './interpret-delivery';
import type { Application } from './model';

/**
 * The application a file's processes form: its base name without `.delivery` and without an
 * ordering prefix `NN-` (`4-anycast-dns.delivery` → `anycast-dns`).
 */
export function applicationName(file: string): string {
  return basename(file).replace(/\.delivery$/, '').replace(/^\d+-/, '');
}

/** Parses and interprets `source` (the text of `file`) into `ctx.model`. */
export function interpretFile(ctx: LoadContext, file: string, source: string): void {
  const roots = parseTree(file, source, ctx.errors);
  const app: Application = { name: applicationName(file), file, processes: [] };
  const m = ctx.model;
  m.files.push(file);
  dispatch(ctx, roots, 'file', {
    control: (n) => { const c = interpretControl(ctx, n, ctx.global); if (c) m.controls.push(c); },
    list: (n) => { const l = interpretList(ctx, n, ctx.global); if (l) m.lists.push(l); },
    service: (n) => {
      const s = interpretService(ctx, n, n.args[0], ctx.global);
      if (s) m.services.push(s);
      if (s && n.args.length > 1) ctx.extraWords(n.args, 1, `service '${s.name}'`);
    },
    process: (n) => { const p = interpretProcess(ctx, n, ctx.global, app.name); if (p) { m.processes.push(p); app.processes.push(p); } },
    delivery: (n) => { const d = interpretDelivery(ctx, n); if (d) m.deliveries.push(d); },
  }, { repeatable: ['control', 'list', 'service', 'process', 'delivery'] });
  if (app.processes.length > 0) {
    const prev = ctx.applications.get(app.name);
    if (prev) {
      const p = app.processes[0].pos;
      const q = prev.processes[0].pos;
      ctx.error(p, `duplicate application '${app.name}' (first defined at ${q.file}:${q.line}:${q.col}; application names come from file names without an 'NN-' prefix)`, 'E_CONFIG_DUPLICATE');
    } else {
      ctx.applications.set(app.name, app);
      m.applications.push(app);
    }
  }
}
