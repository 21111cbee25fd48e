/**
 * `--engine haproxy`: the HAProxy configuration the service pick starts its data plane with
 * (pure: inputs in, text out). The backend starts empty; members are added, weighted, drained
 * and removed through the Runtime API (src/l7/haproxy/engine.ts). URI admission (`admit:
 * control.NAME` with a `uri`) becomes ACLs; refusals and gateway errors are RFC 9457 problems
 * as with the Node engine.
 */
import type { UriPattern } from '../admission/uri-pattern';

/** What the configuration needs. */
export interface HaproxyConfigInput {
  listen: { host: string; port: number };
  /** Runtime API socket path. */
  socket: string;
  /** `crt-list` file when TLS is terminated (SNI chooses, ALPN h2/http1.1). */
  crtList?: string;
  /** The control's URI pattern, when admission applies. */
  admission?: { name: string; pattern: UriPattern };
  /** The scheme requests have in clear (the control's, as for the Node engine). */
  scheme: string;
  /** Files with the problem bodies and error pages (see problemFiles). */
  files: { notFound: string; badPath: string; errors: Record<502 | 503 | 504, string> };
  threads: number;
  timeouts: { connectMs: number; headMs: number; keepAliveMs: number; serverMs: number; tunnelMs: number; clientMs: number };
  retries: number;
  trustedProxies: string[];
  /** Servers known at start (members added later go through `add server`). */
  servers?: { name: string; addr: string; port: number; weight: number; state: 'ready' | 'drain' | 'maint' }[];
}

/** The backend's name in the configuration and Runtime API commands. */
export const BACKEND = 'members';

/** HAProxy server name for a member key (`entry/member`): `[A-Za-z0-9_.:-]` only. */
export function serverName(key: string): string {
  return key.replace(/\//g, '.').replace(/[^A-Za-z0-9_.:-]/g, '_');
}

function hostAddr(h: string): string {
  return h.includes(':') ? `[${h}]` : h;
}

/** A regular expression for an HAProxy `-m reg` ACL (PCRE: the same syntax for these patterns). */
function reg(re: RegExp): string {
  // Single quotes: HAProxy takes the text as is (no escapes, no $ expansion); a quote inside
  // becomes the regular-expression escape \x27.
  return `'${re.source.replace(/'/g, '\\x27')}'`;
}

/** Renders haproxy.cfg. */
export function renderHaproxyConfig(i: HaproxyConfigInput): string {
  const t = i.timeouts;
  const tls = i.crtList !== undefined;
  const lines: string[] = [
    '# written by anypick proxy --engine haproxy; members come and go through the Runtime API',
    'global',
    `  nbthread ${i.threads}`,
    '  maxconn 4096',
    `  stats socket ${i.socket} mode 600 level admin`,
    '  tune.ssl.default-dh-param 2048',
    'defaults',
    '  mode http',
    '  option http-keep-alive',
    `  timeout connect ${t.connectMs}ms`,
    `  timeout http-request ${t.headMs}ms`,
    `  timeout http-keep-alive ${t.keepAliveMs}ms`,
    `  timeout client ${t.clientMs}ms`,
    `  timeout server ${t.serverMs}ms`,
    `  timeout tunnel ${t.tunnelMs}ms`,
    `  retries ${i.retries}`,
    '  option redispatch 1',
    '  retry-on conn-failure empty-response response-timeout 502 503 504',
    `  errorfile 502 ${i.files.errors[502]}`,
    `  errorfile 503 ${i.files.errors[503]}`,
    `  errorfile 504 ${i.files.errors[504]}`,
    'frontend service-pick',
    // In clear HAProxy also accepts HTTP/2 with prior knowledge (h2c) on the same port.
    `  bind ${hostAddr(i.listen.host)}:${i.listen.port}${tls ? ` ssl crt-list ${i.crtList} alpn h2,http/1.1` : ''}`,
  ];
  // Forwarding headers: believed from trusted proxies, replaced from anyone else.
  lines.push(`  acl trusted_peer src ${i.trustedProxies.length ? i.trustedProxies.join(' ') : '255.255.255.255/32'}`);
  lines.push('  http-request del-header x-forwarded-for unless trusted_peer');
  lines.push('  http-request del-header forwarded unless trusted_peer');
  lines.push('  option forwardfor');
  if (tls) lines.push('  http-request set-header x-forwarded-proto https');
  else lines.push(`  http-request set-header x-forwarded-proto ${i.scheme} unless trusted_peer { req.hdr(x-forwarded-proto) -m found }`);
  lines.push('  http-request set-header x-forwarded-host %[req.hdr(host)] unless trusted_peer { req.hdr(x-forwarded-host) -m found }');
  if (i.admission) {
    const p = i.admission.pattern.parts;
    const scheme = tls ? 'https' : i.scheme;
    // RFC 3986 §5.2.4: the Node engine resolves dot segments before matching; HAProxy 2.6 can
    // only do that experimentally, so a path with dot segments or encoded dots, slashes or
    // backslashes is refused (400) rather than matched unresolved.
    lines.push(`  acl adm_dots path -m reg -i ${reg(/(^|\/)(\.|%2e){1,2}(\/|$)|%2f|%5c|\\/)}`);
    lines.push(`  http-request return status 400 content-type application/problem+json file ${i.files.badPath} hdr connection close if adm_dots`);
    lines.push(`  acl adm_host req.hdr(host),field(1,:),lower -m reg ${reg(p.host)}`);
    lines.push(`  acl adm_path path -m reg ${reg(p.path)}`);
    const cond = ['!adm_host', '!adm_path'];
    if (p.port !== undefined) {
      const def = p.scheme === 'https' ? 443 : 80;
      lines.push(`  acl adm_port req.hdr(host),field(2,:) -m str ${p.port}`);
      if (p.port === def) lines.push('  acl adm_port req.hdr(host),field(2,:) -m len 0');
      cond.push('!adm_port');
    }
    // A scheme other than the control's never matches (as in the Node engine).
    if (scheme !== p.scheme) cond.splice(0, cond.length, 'TRUE');
    lines.push(`  http-request return status 404 content-type application/problem+json file ${i.files.notFound} hdr connection close if ${cond.join(' || ')}`);
  }
  lines.push(`  default_backend ${BACKEND}`);
  lines.push(`backend ${BACKEND}`);
  // Random with weights, as the service pick draws its members.
  lines.push('  balance random');
  // Servers written here rather than added at run time: HAProxy 2.6 measured ~2× slower per
  // request through servers created with `add server` (bench:l7, same machine, same run).
  for (const sv of i.servers ?? []) {
    lines.push(`  server ${sv.name} ${hostAddr(sv.addr)}:${sv.port} weight ${sv.weight}${sv.state === 'maint' ? ' disabled' : ''}`);
  }
  return lines.join('\n') + '\n';
}

/** The problem bodies (RFC 9457) of the HAProxy engine: file name → content. */
export function problemFiles(control: string | undefined, pattern: string | undefined): HaproxyConfigInput['files'] {
  const problem = (status: number, code: string, title: string, detail: string) => JSON.stringify({ type: `tag:anypick,2026:${code}`, title, status, detail }) + '\n';
  const page = (status: number, reason: string, body: string, extra = '') =>
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\ncache-control: no-store\r\n${extra}connection: close\r\n\r\n${body}`;
  return {
    badPath: problem(400, 'E_TARGET', 'Bad Request', 'dot segments and encoded dots, slashes or backslashes in the path are refused by the HAProxy engine'),
    notFound: problem(404, 'E_NO_URI_MATCH', 'Not Found', `the request URI does not match control '${control ?? ''}' (${pattern ?? ''})`),
    errors: {
      502: page(502, 'Bad Gateway', problem(502, 'E_UPSTREAM', 'Bad Gateway', 'the member failed to answer')),
      503: page(503, 'Service Unavailable', problem(503, 'E_NO_MEMBER', 'Service Unavailable', 'no member available'), 'retry-after: 1\r\n'),
      504: page(504, 'Gateway Timeout', problem(504, 'E_UPSTREAM_TIMEOUT', 'Gateway Timeout', 'no response head in time')),
    },
  };
}
