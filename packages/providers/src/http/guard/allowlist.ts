// The configured exceptions to the guard, for tests and local model servers: host names,
// host:port pairs, IP addresses (optionally with a port) and CIDR ranges.
import { embeddedIPv4, inRange, parseCidr, parseIp, type IpRange } from './ip-ranges.ts';

type AllowRule = { host: string; port: number | undefined } | { range: IpRange; port: number | undefined };

/** Lower case, no trailing dot, no IPv6 brackets: how host names are compared. */
export function normalizeHost(hostname: string): string {
  const lower = hostname.toLowerCase().replace(/\.$/, '');
  return lower.startsWith('[') && lower.endsWith(']') ? lower.slice(1, -1) : lower;
}

function parsePort(text: string, entry: string): number {
  const port = Number(text);
  if (!/^\d{1,5}$/.test(text) || port < 1 || port > 65_535) throw new TypeError(`allow entry ${JSON.stringify(entry)}: bad port`);
  return port;
}

function parseRule(entry: string): AllowRule {
  const text = entry.trim().toLowerCase();
  if (text.includes('/')) {
    const range = parseCidr(text);
    if (!range) throw new TypeError(`allow entry ${JSON.stringify(entry)}: not a CIDR range`);
    return { range, port: undefined };
  }
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  const wholeIp = parseIp(text);
  const [address, portText] = bracketed ? [bracketed[1] ?? '', bracketed[2]] : wholeIp ? [text, undefined] : text.split(/:(?=[^:]*$)/);
  const port = portText === undefined ? undefined : parsePort(portText, entry);
  const bytes = parseIp(address ?? '');
  if (bytes) return { range: { bytes, prefix: bytes.length * 8 }, port };
  if (bracketed || !address || !/^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?$/.test(address)) {
    throw new TypeError(`allow entry ${JSON.stringify(entry)}: expected a host, host:port, IP address or CIDR range`);
  }
  return { host: normalizeHost(address), port };
}

export class Allowlist {
  private readonly rules: AllowRule[];

  /** Throws a TypeError naming the first entry it cannot read: a typo must not widen access. */
  constructor(entries: readonly string[] = []) {
    this.rules = entries.map(parseRule);
  }

  /** Whether requests to this host name (and port) skip the address checks. */
  allowsHost(hostname: string, port: number): boolean {
    const host = normalizeHost(hostname);
    return this.rules.some((rule) => 'host' in rule && rule.host === host && (rule.port === undefined || rule.port === port));
  }

  /** Whether this address (or the IPv4 address inside it) is allowed although its range is forbidden. */
  allowsAddress(bytes: Uint8Array, port: number): boolean {
    const embedded = embeddedIPv4(bytes)?.bytes;
    return this.rules.some(
      (rule) =>
        'range' in rule &&
        (rule.port === undefined || rule.port === port) &&
        (inRange(bytes, rule.range) || (embedded !== undefined && inRange(embedded, rule.range))),
    );
  }
}
