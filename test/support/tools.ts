import { execFileSync } from 'node:child_process';
import { loadAddon } from '../../src/native/addon';

/** True when `name` is an executable on PATH. */
export function haveTool(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Guards an integration test that needs an external tool (dig, bird, dnsperf…).
 * Outside CI a missing tool skips the test; under CI (CI=true) it fails, so integration
 * tests never silently skip there.
 */
export function requireTools(ctx: Mocha.Context, ...names: string[]): void {
  const missing = names.filter((n) => !haveTool(n));
  if (missing.length === 0) return;
  if (process.env.CI) throw new Error(`required tool(s) missing under CI: ${missing.join(', ')}`);
  ctx.skip();
}

/**
 * Guards a test that needs a native addon (`anypick_sockopt`, `anypick_udp`), as requireTools
 * does a tool: skipped outside CI when the addon is not built, a failure under CI.
 */
export function requireAddon(ctx: Mocha.Context, name: string): void {
  const a = loadAddon(name);
  if (a.ok) return;
  if (process.env.CI) throw new Error(`required native addon missing under CI: ${a.reason}`);
  ctx.skip();
}

/** True when the process may create network namespaces (root with iproute2). */
export function canUseNetns(): boolean {
  return process.getuid?.() === 0 && haveTool('ip');
}
