/**
 * HAProxy Runtime API client (the master-less `stats socket … level admin`): one command per
 * connection, the answer is everything HAProxy writes before it closes.
 */
import { connect } from 'node:net';

/** Thrown when HAProxy answers a command with an error, or cannot be reached. */
export class RuntimeApiError extends Error {
  override readonly name = 'RuntimeApiError';
  readonly code = 'E_HAPROXY_RUNTIME';
}

/** Sends `command` (may include a `<<` payload) and resolves with HAProxy's answer. */
export function runtimeCommand(socket: string, command: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(socket);
    let out = '';
    const t = setTimeout(() => {
      s.destroy();
      reject(new RuntimeApiError(`${command.split('\n')[0]}: no answer in ${timeoutMs} ms`));
    }, timeoutMs);
    s.setEncoding('utf8');
    s.on('data', (d: string) => (out += d));
    s.on('error', (e) => {
      clearTimeout(t);
      reject(new RuntimeApiError(`${command.split('\n')[0]}: ${e.message}`));
    });
    s.on('close', () => {
      clearTimeout(t);
      resolve(out);
    });
    s.end(command.endsWith('\n') ? command : command + '\n');
  });
}

/**
 * Answers that mean a command failed. HAProxy's wording varies by command; successful state
 * changes answer nothing, `add server` answers "New server registered.".
 */
export function isRuntimeError(answer: string): boolean {
  return /^(?:No such|Unknown|Require|Invalid|Can't|Cannot|Server still|'[^']*' )|[Ee]rror|not found|failed/m.test(answer.trim());
}
