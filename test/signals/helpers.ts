import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemberRegistry } from '../../src/signals/registry';
import type { RegistryOptions } from '../../src/signals/registry';
import { startSignalsReceiver } from '../../src/signals/receiver';
import type { ReceiverOptions, SignalsReceiver } from '../../src/signals/receiver';
import { TokenStore } from '../../src/signals/tokens';

/** Tokens used across the signals tests. */
export const TOKEN_DC1 = 'tok-datacenter-1-aaaaaaaaaaaa';
export const TOKEN_DC2 = 'tok-datacenter-2-bbbbbbbbbbbb';
export const TOKENS_TEXT = [
  '# test tokens',
  `${TOKEN_DC1} datacenter my-service datacenter-1 2001:db8:ae21:7700::/56`,
  `${TOKEN_DC2} datacenter my-service datacenter-2`,
].join('\n');

/** Reads the `json otlp:KIND:NAME` examples from docs/signals.md. */
export function docExamples(): Map<string, { kind: 'logs' | 'metrics'; body: string }> {
  const md = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'signals.md'), 'utf8');
  const out = new Map<string, { kind: 'logs' | 'metrics'; body: string }>();
  for (const m of md.matchAll(/^```json otlp:(logs|metrics):([\w-]+)\n([\s\S]*?)^```$/gm)) {
    out.set(m[2]!, { kind: m[1] as 'logs' | 'metrics', body: m[3]! });
  }
  return out;
}

/** A receiver on 127.0.0.1:0 with a fresh registry (no grace unless asked). */
export async function startTestReceiver(
  reg: RegistryOptions = {},
  rec: Partial<ReceiverOptions> = {},
): Promise<{ registry: MemberRegistry; receiver: SignalsReceiver; url: string; close(): Promise<void> }> {
  const registry = new MemberRegistry({ graceMs: 0, ...reg });
  const receiver = await startSignalsReceiver({
    listen: '127.0.0.1:0',
    registry,
    tokens: TokenStore.parse(TOKENS_TEXT, 'test'),
    ...rec,
  });
  const url = `http://127.0.0.1:${receiver.address().port}`;
  return {
    registry,
    receiver,
    url,
    async close() {
      registry.close();
      await receiver.close();
    },
  };
}

/** POSTs a body and returns status, headers and the raw response body. */
export async function post(
  url: string,
  body: string | Uint8Array,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Headers; body: Buffer; json(): any }> {
  const res = await fetch(url, { method: 'POST', body, headers });
  const buf = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body: buf, json: () => JSON.parse(buf.toString('utf8')) };
}

/** Headers for an authenticated JSON post. */
export function jsonHeaders(token = TOKEN_DC1): Record<string, string> {
  return { 'content-type': 'application/json', authorization: `Bearer ${token}` };
}
