// Checks the admin key on a request: `Authorization: Bearer <key>`, or HTTP Basic with any user
// and the key as password (what a browser can send to the queue board); and the hook that guards
// the admin JSON routes with it.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

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

function unauthorized(reply: FastifyReply): FastifyReply {
  return reply
    .status(401)
    .header('www-authenticate', `Bearer realm="${adminRealm}"`)
    .send({ error: { code: 'unauthorized', message: 'Authorization: the admin key is required: "Authorization: Bearer <MEDIAGATE_ADMIN_KEY>"', field: 'authorization' } });
}

/**
 * The onRequest hook of the admin JSON routes (/v1/admin/...): 404 saying how to turn them on when
 * no admin key is set, 401 unless the request offers the admin key.
 */
export function adminApiGuard(adminKey: string): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  return async (request, reply) => {
    if (adminKey === '') {
      return reply.status(404).send({
        error: { code: 'admin_disabled', message: 'the admin API is off: set MEDIAGATE_ADMIN_KEY on the API process to turn it on' },
      });
    }
    if (!isAdminRequest(request.headers.authorization, adminKey)) return unauthorized(reply);
    return undefined;
  };
}
