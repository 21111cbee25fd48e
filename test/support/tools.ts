import { execFileSync } from 'node:child_process';

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

/** True when the process may create network namespaces (root with iproute2). */
export function canUseNetns(): boolean {
  return process.getuid?.() === 0 && haveTool('ip');
}
