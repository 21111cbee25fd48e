import { existsSync } from 'node:fs';
import { loadPaths } from '../config/load';
import { bgpConfigsFromModel } from './adapter';
import type { BgpConfig } from './config';

/** Result of loading the BGP announcers from delivery files. */
export interface BgpLoad {
  configs: BgpConfig[];
  /** `file:line:col: message` lines (config errors) or adapter messages. */
  errors: string[];
  warnings: string[];
}

/** Loads zones and delivery files (default `zones` and `bgp`, those that exist) into announcer configs. */
export function loadBgpConfigs(paths: string[]): BgpLoad {
  const use = paths.length ? paths : ['zones', 'bgp'].filter((p) => existsSync(p));
  const r = loadPaths(use);
  const errors = r.errors.map((e) => e.format());
  const warnings = r.warnings.map((w) => `${w.pos.file}:${w.pos.line}:${w.pos.col}: warning: ${w.message}`);
  if (errors.length) return { configs: [], errors, warnings };
  try {
    return { configs: bgpConfigsFromModel(r.model, r.zones), errors, warnings };
  } catch (err) {
    return { configs: [], errors: [(err as Error).message], warnings };
  }
}
