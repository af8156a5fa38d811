// Checks the admin key on a request: `Authorization: Bearer <key>`, or HTTP Basic with any user
// and the key as password (what a browser can send to the queue board).
import { createHash, timingSafeEqual } from 'node:crypto';

/** The realm browsers show in their login prompt. */
export const adminRealm = 'mediagate admin';

/** The secret a request offers in its Authorization header, if any. */
function offeredSecret(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^(\w+)\s+(\S+)\s*$/.exec(header);
  if (!match) return undefined;
  const [, scheme, value] = match as unknown as [string, string, string];
  if (scheme.toLowerCase() === 'bearer') return value;
  if (scheme.toLowerCase() !== 'basic') return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? undefined : decoded.slice(colon + 1);
}

/** Compared as SHA-256 digests: equal-length buffers, so neither content nor length leaks through timing. */
function sameSecret(offered: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(offered), digest(expected));
}

export function isAdminRequest(authorization: string | undefined, adminKey: string): boolean {
  const offered = offeredSecret(authorization);
  return offered !== undefined && sameSecret(offered, adminKey);
}
