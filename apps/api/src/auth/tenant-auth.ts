// Who is calling: every /v1 request must carry `Authorization: Bearer <tenant API key>`; the
// tenant it belongs to scopes everything the request reads or writes. Public: everything outside
// /v1 (health, readiness, metrics, the API description), the admin routes (their own key) and
// asset downloads that carry a signature (signed-urls.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InputError } from '@mediagate/core';
import { looksLikeApiKey } from './api-keys.ts';
import type { Caller, KeyCache } from './key-cache.ts';
import { isSignedAssetRequest } from './signed-urls.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated tenant and key; null on public routes. */
    caller: Caller | null;
  }
}

export const realm = 'mediagate';

/** Routes that speak OpenAI's dialect answer in OpenAI's error shape, which its client reads. */
const openAiPaths = ['/v1/images/', '/v1/audio/', '/v1/videos'];

/**
 * The route the request reached (`/v1/jobs/:id`), else its decoded path: the router decodes
 * percent-escapes, so `/%761/providers` reaches `/v1/providers` and must be judged as that.
 */
function routePath(request: FastifyRequest, route = request.routeOptions.url): string {
  if (route !== undefined) return route;
  const query = request.url.indexOf('?');
  const path = query === -1 ? request.url : request.url.slice(0, query);
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function needsKey(request: FastifyRequest): boolean {
  // routeOptions is a getter that builds a fresh object: read it once.
  const route = request.routeOptions.url;
  const path = routePath(request, route);
  if (path !== '/v1' && !path.startsWith('/v1/')) return false;
  if (path.startsWith('/v1/admin/') || path === '/v1/admin') return false;
  return !isSignedAssetRequest(request, route);
}

interface Refusal {
  code: 'unauthorized' | 'invalid_api_key';
  message: string;
  /** RFC 6750: a key was sent but is no good. */
  invalidToken: boolean;
}

const howToGetOne = 'create one with POST /v1/admin/keys (admin key), or use the one `mediagate start` writes to <MEDIAGATE_HOME>/api-key';

function refuse(request: FastifyRequest, reply: FastifyReply, refusal: Refusal): FastifyReply {
  const challenge = refusal.invalidToken ? `Bearer realm="${realm}", error="invalid_token"` : `Bearer realm="${realm}"`;
  const path = routePath(request);
  const body = openAiPaths.some((prefix) => path.startsWith(prefix))
    ? { error: { message: refusal.message, type: 'invalid_request_error', param: null, code: 'invalid_api_key' } }
    : { error: { code: refusal.code, message: refusal.message, field: 'authorization' } };
  return reply.status(401).header('www-authenticate', challenge).type('application/json; charset=utf-8').send(body);
}

/** The bearer token of an Authorization header, or what is wrong with the header. */
function bearerToken(header: string | undefined): { token: string } | { problem: string } {
  if (header === undefined || header.trim() === '') {
    return { problem: `Authorization: missing; send "Authorization: Bearer <API key>" (${howToGetOne})` };
  }
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  if (match === null) return { problem: 'Authorization: expected "Bearer <API key>"' };
  return { token: match[1] as string };
}

/**
 * Event streams outlive the check made when they opened: this process's streams of a key it
 * revokes are cut at once (an EventSource reconnecting then gets the 401 and stops).
 */
function trackStreams(keys: KeyCache): (request: FastifyRequest, reply: FastifyReply, keyId: string) => void {
  const open = new Map<string, Set<FastifyReply>>();
  keys.onForget((keyId) => {
    for (const reply of open.get(keyId) ?? []) reply.raw.destroy();
    open.delete(keyId);
  });
  return (request, reply, keyId) => {
    if (!request.headers.accept?.includes('text/event-stream')) return;
    const replies = open.get(keyId) ?? new Set<FastifyReply>();
    open.set(keyId, replies.add(reply));
    reply.raw.once('close', () => {
      replies.delete(reply);
      if (replies.size === 0 && open.get(keyId) === replies) open.delete(keyId);
    });
  };
}

export function installTenantAuth(app: FastifyInstance, keys: KeyCache): void {
  const trackStream = trackStreams(keys);
  app.decorateRequest('caller', null);
  // A callback hook rather than an async one: a key already trusted here is settled without a
  // promise, which is nearly every request.
  app.addHook('onRequest', (request, reply, done) => {
    if (!needsKey(request)) {
      done();
      return;
    }
    const offered = bearerToken(request.headers.authorization);
    if ('problem' in offered) {
      refuse(request, reply, { code: 'unauthorized', message: offered.problem, invalidToken: false });
      return;
    }
    if (!looksLikeApiKey(offered.token)) {
      refuse(request, reply, { code: 'invalid_api_key', message: 'Authorization: not a Mediagate API key (they start with "mg_")', invalidToken: true });
      return;
    }
    const cached = keys.cached(offered.token);
    if (cached !== undefined) {
      request.caller = cached;
      trackStream(request, reply, cached.keyId);
      done();
      return;
    }
    keys.verify(offered.token).then((verdict) => {
      if (verdict.ok) {
        request.caller = verdict.caller;
        trackStream(request, reply, verdict.caller.keyId);
        done();
        return;
      }
      const message = verdict.reason === 'revoked' ? 'Authorization: this API key was revoked' : 'Authorization: unknown API key';
      refuse(request, reply, { code: 'invalid_api_key', message, invalidToken: true });
    }, done);
  });
}

/** The caller's tenant. A route reached without a key is refused rather than served unscoped. */
export function authenticatedTenant(request: FastifyRequest): string {
  if (!request.caller) {
    throw new InputError('Authorization: an API key is required here', { field: 'authorization', code: 'unauthorized', status: 401 });
  }
  return request.caller.tenantId;
}
