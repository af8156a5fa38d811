// Admin routes behind MEDIAGATE_ADMIN_KEY: tenant API keys at /v1/admin/keys, and the queue board
// (Bull Board) at /admin/queues, every provider queue read-only, in its own scope; without the
// key both are off and answer 404 saying how to turn them on.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { createBullBoard } from '@bull-board/api';
import { errorHandler as boardErrorHandler } from '@bull-board/api/dist/handlers/error.js';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Runtime } from '@mediagate/engine';
import type { KeyCache } from '../auth/key-cache.ts';
import { describeError } from '../errors.ts';
import { adminRealm, isAdminRequest } from './admin-auth.ts';
import { registerAdminKeyRoutes } from './routes-admin-keys.ts';
import { registerProviderKeyRoutes } from './routes-provider-keys.ts';

export const adminBoardPath = '/admin/queues';

type BoardAnswer = ReturnType<Parameters<FastifyAdapter['setErrorHandler']>[0]>;

export interface AdminOptions {
  /** The admin key; else MEDIAGATE_ADMIN_KEY. Unset or empty turns the board and the key routes off. */
  adminKey?: string;
  /** The API's cache of verified tenant keys, told about revokes. */
  keys: KeyCache;
}

/** The board's page links web fonts from a CDN; the page is served without them (system fonts). */
function withoutRemoteLinks(html: string): string {
  return html.replace(/<link\b[^>]*\bhref="https?:\/\/[^"]*"[^>]*>\s*/gi, '');
}

function unauthorized(reply: FastifyReply): FastifyReply {
  return reply
    .status(401)
    .header('www-authenticate', `Basic realm="${adminRealm}", charset="UTF-8"`)
    .send({ error: { code: 'unauthorized', message: 'the admin key is required: Authorization: Bearer <key>, or Basic with the key as password' } });
}

export function registerAdminRoutes(app: FastifyInstance, runtime: Runtime, options: AdminOptions): void {
  const adminKey = options.adminKey ?? process.env.MEDIAGATE_ADMIN_KEY ?? '';
  registerAdminKeyRoutes(app, runtime, { adminKey, keys: options.keys });
  registerProviderKeyRoutes(app, runtime, { adminKey });

  if (adminKey === '') {
    const off = async (_request: unknown, reply: FastifyReply) =>
      reply.status(404).send({ error: { code: 'not_found', message: 'the queue board is off: set MEDIAGATE_ADMIN_KEY to turn it on' } });
    app.get(adminBoardPath, off);
    app.get(`${adminBoardPath}/*`, off);
    return;
  }

  void app.register(async (scope) => {
    scope.addHook('onRequest', async (request, reply) => {
      if (!isAdminRequest(request.headers.authorization, adminKey)) return unauthorized(reply);
    });
    scope.addHook('onSend', async (_request, reply, payload) => {
      const type = reply.getHeader('content-type');
      return typeof payload === 'string' && typeof type === 'string' && type.startsWith('text/html') ? withoutRemoteLinks(payload) : payload;
    });

    const serverAdapter = new FastifyAdapter().setBasePath(adminBoardPath);
    createBullBoard({
      // Read-only: a queue entry only points at a job whose truth is in the database, so retrying,
      // adding or removing entries here would go around the API's own bookkeeping.
      queues: runtime.providers.list().flatMap((adapter) =>
        [...new Set(['default', ...runtime.keys.pools(adapter.id)])].map(
          (pool) =>
            new BullMQAdapter(runtime.queues.queue(adapter.id, pool), { readOnlyMode: true, displayName: pool === 'default' ? adapter.id : `${adapter.id} (${pool})` }),
        ),
      ),
      serverAdapter,
      options: { uiConfig: { boardTitle: 'Mediagate queues' } },
    });
    // The board's own handler answers every error as a 500, the API's refusals of bad input (a
    // query with a NUL) included: those are answered as on every other route, the rest as before.
    serverAdapter.setErrorHandler((error) => {
      const described = describeError(error, app.initialConfig.bodyLimit);
      if (described.internal) return boardErrorHandler(error);
      // Its type lists fewer statuses than it passes on to Fastify (no 401, 413, 414…).
      return { status: described.status as BoardAnswer['status'], body: { ...described.body } };
    });
    await scope.register(serverAdapter.registerPlugin(), { prefix: adminBoardPath });
  });
}
