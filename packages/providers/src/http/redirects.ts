// Redirects on the undici path, followed by the rules of undici's redirect interceptor (those of
// fetch). They are applied here, only when an answer is a redirect, because the interceptor wraps
// every request in handlers of its own: ~25 µs of CPU per call with hundreds of calls in flight.
import { errors } from 'undici';

/** How many redirects one request follows before the redirect itself is its answer. */
export const maxRedirections = 5;

const redirectStatuses: ReadonlySet<number> = new Set([300, 301, 302, 303, 307, 308]);

/** One request of a chain: where it goes and what it sends. */
export interface Hop {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | Uint8Array | null;
}

/** `origin` + path + query, as the interceptor records each URL it requested. */
export function visitedForm(url: string | URL): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}${parsed.search}`;
}

/** The request headers to send to the next hop: never Host; Content-* after a 303; no credentials to another origin. */
function cleanHeaders(headers: Record<string, string>, removeContent: boolean, otherOrigin: boolean): Record<string, string> {
  const kept: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const name of Object.keys(headers)) {
    if (name === 'host') continue;
    if (removeContent && name.startsWith('content-')) continue;
    if (otherOrigin && (name === 'authorization' || name === 'cookie' || name === 'proxy-authorization')) continue;
    kept[name] = headers[name] ?? '';
  }
  return kept;
}

/**
 * What to send after an answer of `status` with this Location, or undefined when the answer is
 * the one to return (not a redirect, no Location, or `maxRedirections` already followed).
 * `visited` lists the URLs already requested before `hop` (see visitedForm) and grows by `hop`.
 * A 301/302 to a POST and a 303 to anything but HEAD continue as a GET without a body; a URL
 * visited before throws, as the interceptor does, rather than going round.
 */
export function nextHop(hop: Hop, status: number, location: string | string[] | undefined, visited: string[]): Hop | undefined {
  let { method, body } = hop;
  if (((status === 301 || status === 302) && method === 'POST') || (status === 303 && method !== 'HEAD')) {
    method = 'GET';
    body = null;
  }
  const follow = visited.length < maxRedirections && redirectStatuses.has(status) && location !== undefined && String(location) !== '';
  const current = visitedForm(hop.url);
  visited.push(current);
  if (!follow) return undefined;
  const target = new URL(String(location), current);
  const next = `${target.origin}${target.pathname}${target.search}`;
  if (visited.includes(next)) {
    throw new errors.InvalidArgumentError(
      `Redirect loop detected. Cannot redirect to ${target.origin}. This typically happens when using a Client or Pool with cross-origin redirects. Use an Agent for cross-origin redirects.`,
    );
  }
  const headers = cleanHeaders(hop.headers, status === 303, new URL(current).origin !== target.origin);
  return { url: next, method, headers, body };
}
