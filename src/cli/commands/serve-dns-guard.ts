/**
 * `anypick serve` options for DNS on the public internet: response rate limiting (`--rrl`),
 * DNS cookies (`--cookie-secret-file`, or ANYPICK_COOKIE_SECRET) and TCP limits. Parsed and
 * checked once at start; a bad value is a usage error naming the option.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseDuration } from '../../util/duration';
import { COOKIE_SECRET_ENV, ServerCookies, parseCookieSecret } from '../../dns/cookies';
import { DEFAULT_RRL_IPV4_PREFIX, DEFAULT_RRL_IPV6_PREFIX, DEFAULT_RRL_SLIP, ResponseRateLimiter } from '../../dns/rrl';
import { DEFAULT_TCP_LIMITS, tcpLimits } from '../../dns/tcp-limits';
import type { TcpLimits } from '../../dns/tcp-limits';
import type { Logger } from '../../util/log';
import { UsageError, intOption, stringOption } from '../command';

/** parseArgs options. */
export const DNS_GUARD_OPTIONS = {
  rrl: { type: 'string' },
  'rrl-slip': { type: 'string' },
  'rrl-ipv4-prefix': { type: 'string' },
  'rrl-ipv6-prefix': { type: 'string' },
  'cookie-secret-file': { type: 'string' },
  'no-cookies': { type: 'boolean' },
  'tcp-max-connections': { type: 'string' },
  'tcp-max-per-address': { type: 'string' },
  'tcp-idle-timeout': { type: 'string' },
  'tcp-message-timeout': { type: 'string' },
} as const;

/** Usage lines for `serve --help`. */
export const DNS_GUARD_USAGE = `  --rrl N             response rate limiting: at most N UDP replies per second per client
                      prefix and response class (answer per name, NXDOMAIN per zone, error);
                      off by default; TCP and clients with a valid DNS cookie are never limited
  --rrl-slip N        send every Nth limited reply short with TC=1 (BADCOOKIE when the query had
                      a cookie), drop the others; 0 drops all, 1 slips all (default ${DEFAULT_RRL_SLIP})
  --rrl-ipv4-prefix L / --rrl-ipv6-prefix L
                      client prefix of a bucket (default /${DEFAULT_RRL_IPV4_PREFIX} and /${DEFAULT_RRL_IPV6_PREFIX})
  --cookie-secret-file FILE
                      DNS cookie secret shared by the fleet (hex, 16+ bytes; re-read on SIGHUP;
                      or $${COOKIE_SECRET_ENV});
                      default: a random secret per start. --no-cookies ignores COOKIE options
  --tcp-max-connections N   (default: half the open-file limit)
  --tcp-max-per-address N   (default ${DEFAULT_TCP_LIMITS.maxPerAddress}; IPv6 per /64)
  --tcp-idle-timeout D      idle timeout below half the cap, e.g. 10s (default ${DEFAULT_TCP_LIMITS.idleTimeoutMs / 1000}s;
                            shrinks to ${DEFAULT_TCP_LIMITS.minIdleTimeoutMs / 1000}s as connections approach the cap)
  --tcp-message-timeout D   a message must arrive within D of its first byte (default ${DEFAULT_TCP_LIMITS.messageTimeoutMs / 1000}s)`;

/** What the DNS server takes from these options. */
export interface DnsGuard {
  rrl?: ResponseRateLimiter;
  cookies?: ServerCookies;
  tcp: TcpLimits;
}

function duration(values: Record<string, unknown>, name: string): number | undefined {
  const v = stringOption(values, name);
  if (v === undefined) return undefined;
  try {
    return parseDuration(v);
  } catch (err) {
    throw new UsageError(`--${name}: ${(err as Error).message}`);
  }
}

/** The base cookie secret: the file, else the environment, else undefined (random per start). */
export function cookieSecret(values: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): Buffer | undefined {
  const file = stringOption(values, 'cookie-secret-file');
  try {
    if (file !== undefined) return parseCookieSecret(readFileSync(file, 'utf8'), file);
    const e = env[COOKIE_SECRET_ENV];
    if (e !== undefined && e !== '') return parseCookieSecret(e, `$${COOKIE_SECRET_ENV}`);
  } catch (err) {
    throw new UsageError(`--cookie-secret-file: ${(err as Error).message}`);
  }
  return undefined;
}

/**
 * SIGHUP: reads `--cookie-secret-file` again and takes a changed secret. A file that cannot be
 * read or parsed keeps the secret in use (logged). The environment and a random secret stay.
 */
export function reloadCookieSecret(values: Record<string, unknown>, cookies: ServerCookies | undefined, logger: Logger): void {
  const file = stringOption(values, 'cookie-secret-file');
  if (!cookies || file === undefined) return;
  let next: Buffer | undefined;
  try {
    next = cookieSecret(values);
  } catch (err) {
    logger.error({ file }, `cookie secret not reloaded: ${(err as Error).message}; keeping the one in use`);
    return;
  }
  if (next && cookies.rekey(next)) logger.info({ file }, 'DNS cookie secret reloaded');
}

/**
 * `serve --workers N` without a configured secret: one random secret for all workers (they
 * share the UDP socket, so each must accept the others' cookies), passed in the environment.
 */
export function shareCookieSecretWithWorkers(values: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): void {
  if (values['no-cookies'] === true || cookieSecret(values, env)) return;
  env[COOKIE_SECRET_ENV] = randomBytes(16).toString('hex');
}

/** Builds the rate limiter, cookies and TCP limits from the options. */
export function dnsGuardFromOptions(values: Record<string, unknown>): DnsGuard {
  const rate = intOption(values, 'rrl', 1, 10_000_000);
  const slip = intOption(values, 'rrl-slip', 0, 10);
  const v4 = intOption(values, 'rrl-ipv4-prefix', 8, 32);
  const v6 = intOption(values, 'rrl-ipv6-prefix', 16, 128);
  if (rate === undefined && (slip !== undefined || v4 !== undefined || v6 !== undefined)) throw new UsageError('--rrl-slip and --rrl-ipv4/ipv6-prefix need --rrl N');
  const rrl = rate === undefined ? undefined : new ResponseRateLimiter({ ratePerSecond: rate, slip, ipv4Prefix: v4, ipv6Prefix: v6 });
  const cookies = values['no-cookies'] === true ? undefined : new ServerCookies(cookieSecret(values));
  let tcp: TcpLimits;
  try {
    tcp = tcpLimits({
      maxConnections: intOption(values, 'tcp-max-connections', 1, 1_000_000),
      maxPerAddress: intOption(values, 'tcp-max-per-address', 1, 1_000_000),
      idleTimeoutMs: duration(values, 'tcp-idle-timeout'),
      messageTimeoutMs: duration(values, 'tcp-message-timeout'),
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return { rrl, cookies, tcp };
}
