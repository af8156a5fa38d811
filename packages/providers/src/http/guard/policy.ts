// Decides whether a URL may be fetched: scheme, credentials, metadata host names, and every
// address its host resolves to. The connector asks it again at connect time (see connector.ts).
import { lookup } from 'node:dns/promises';
import { redactUrl } from '../request.ts';
import { Allowlist, normalizeHost } from './allowlist.ts';
import { BlockedUrlError } from './errors.ts';
import { forbiddenRange, parseIp } from './ip-ranges.ts';

/** Every address (IPv4 and IPv6) a host name resolves to. */
export type Resolver = (hostname: string) => Promise<string[]>;

export interface GuardPolicyOptions {
  /** Exceptions: 'localhost', 'localhost:8080', '127.0.0.1', '[::1]:8080', '10.0.0.0/8'. */
  allow?: readonly string[];
  /** How host names are resolved; the system resolver (getaddrinfo, /etc/hosts) by default. */
  resolve?: Resolver;
}

/** Like net.connect's own lookup: getaddrinfo, all families, in the order the system prefers. */
export const systemResolver: Resolver = async (hostname) => {
  const entries = await lookup(hostname, { all: true, verbatim: true });
  return entries.map((entry) => entry.address);
};

// Names that reach instance metadata without any DNS a public resolver would answer.
const metadataHosts = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal']);

export function defaultPort(protocol: string): number {
  return protocol === 'https:' ? 443 : 80;
}

export class GuardPolicy {
  readonly allowlist: Allowlist;
  readonly resolve: Resolver;

  constructor(options: GuardPolicyOptions = {}) {
    this.allowlist = new Allowlist(options.allow);
    this.resolve = options.resolve ?? systemResolver;
  }

  /**
   * Everything decidable from the URL itself, before any DNS: returns the parsed URL. A literal
   * IP host is fully checked here — the socket layer never resolves one, so this is its check.
   */
  checkStatic(input: string | URL): URL {
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      throw new BlockedUrlError('invalid_url', `not a valid URL: ${JSON.stringify(String(input).slice(0, 100))}`, '(invalid URL)');
    }
    const shown = redactUrl(url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new BlockedUrlError('scheme', `refusing ${url.protocol} URL: only http and https may be fetched`, `${url.protocol}…`);
    }
    if (url.username !== '' || url.password !== '') {
      throw new BlockedUrlError('credentials', `refusing ${shown}: URLs with user:password@ are not fetched`, shown);
    }
    const port = url.port === '' ? defaultPort(url.protocol) : Number(url.port);
    const host = normalizeHost(url.hostname);
    if (this.allowlist.allowsHost(host, port)) return url;
    if (metadataHosts.has(host)) {
      throw new BlockedUrlError('hostname', `refusing ${shown}: ${host} is a cloud metadata service`, shown);
    }
    if (parseIp(host)) this.checkAddresses(host, [host], port, shown);
    return url;
  }

  /**
   * Resolves a host and returns its addresses only if every one of them may be reached; one
   * forbidden record refuses the whole name, since a later connection could pick that one.
   */
  async addressesFor(hostname: string, port: number, shown: string): Promise<string[]> {
    const host = normalizeHost(hostname);
    const addresses = parseIp(host) ? [host] : await this.resolve(host);
    if (addresses.length === 0) {
      throw Object.assign(new Error(`${host} resolved to no addresses`), { code: 'ENOTFOUND', hostname: host });
    }
    if (!this.allowlist.allowsHost(host, port)) this.checkAddresses(host, addresses, port, shown);
    return addresses;
  }

  private checkAddresses(host: string, addresses: readonly string[], port: number, shown: string): void {
    for (const address of addresses) {
      const bytes = parseIp(address);
      if (!bytes) throw new BlockedUrlError('address', `refusing ${shown}: ${host} resolved to ${JSON.stringify(address)}, not an IP address`, shown);
      const range = forbiddenRange(bytes);
      if (range === undefined || this.allowlist.allowsAddress(bytes, port)) continue;
      const via = address === host ? '' : `${host} resolves to `;
      throw new BlockedUrlError('address', `refusing ${shown}: ${via}${address} is ${range}`, shown, address);
    }
  }
}

/**
 * Throws BlockedUrlError unless `url` may be fetched now. Useful to refuse a user's URL early
 * (at submit); the guarded fetch checks again at connect time, so a passing check is not a
 * licence to fetch the URL by other means.
 */
export async function checkUrl(url: string | URL, options: GuardPolicyOptions = {}): Promise<void> {
  const policy = new GuardPolicy(options);
  const parsed = policy.checkStatic(url);
  const port = parsed.port === '' ? defaultPort(parsed.protocol) : Number(parsed.port);
  await policy.addressesFor(parsed.hostname, port, redactUrl(parsed));
}
