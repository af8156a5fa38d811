// Provider keys at run time, behind the admin key (MEDIAGATE_ADMIN_KEY): add a key to a pool
// (its secret sealed with MEDIAGATE_SECRET in the database, never returned or logged), list a
// provider's keys with status, use and health, disable and re-enable any key. Every worker sees
// a status change at its next key choice (Redis) and an added key within seconds (re-read).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { InputError, parseInput } from '@mediagate/core';
import { defaultPool, keyLimitsSchema, storedKeyRowId, type Runtime } from '@mediagate/engine';
import { adminApiGuard } from './admin-auth.ts';

const name = z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,39}$/, 'letters, digits, _ . - starting with a letter (at most 40)');

export const addProviderKeyBody = z
  .object({
    id: name.describe('The key id, unique per provider: attempts and metrics name the key by it.'),
    secret: z.string().min(1).max(4096).describe('The provider API key; stored sealed, never shown again.'),
    pool: name.default(defaultPool).describe('The pool the key serves: default, one of the provider\'s pools, or a new one.'),
    limits: keyLimitsSchema.default({}).describe('rpm, concurrency and daily caps, enforced across the fleet.'),
  })
  .strict();

const providerParams = z.object({ provider: z.string().min(1).max(100) });
const keyParams = z.object({ provider: z.string().min(1).max(100), id: z.string().min(1).max(100) });

const json = (schema: z.ZodType) => ({ 'application/json': schema });
const keyViewSchema = z.object({ object: z.literal('provider_key'), provider: z.string(), id: z.string(), pool: z.string(), status: z.string() }).passthrough();

export interface ProviderKeyRouteOptions {
  /** The admin key; empty turns these routes into an answer saying how to turn them on. */
  adminKey: string;
}

export function registerProviderKeyRoutes(app: FastifyInstance, runtime: Runtime, options: ProviderKeyRouteOptions): void {
  const { keys, repo, providers } = runtime;

  const knownProvider = (provider: string): string => {
    if (providers.get(provider) !== undefined) return provider;
    const ids = providers.list().map((adapter) => adapter.id);
    throw new InputError(`provider: unknown provider "${provider}"; available: ${ids.join(', ')}`, { field: 'provider', allowed: ids, status: 404, code: 'not_found' });
  };

  const view = async (provider: string, id: string) => {
    const found = (await keys.describe(provider)).find((key) => key.id === id);
    if (found === undefined) {
      const ids = keys.all(provider).map((key) => key.id);
      throw new InputError(`id: ${provider} has no key "${id}"; its keys: ${ids.join(', ') || 'none'}`, { field: 'id', allowed: ids, status: 404, code: 'not_found' });
    }
    return { object: 'provider_key' as const, provider, ...found };
  };

  void app.register(async (scope) => {
    scope.addHook('onRequest', adminApiGuard(options.adminKey));

    scope.get(
      '/v1/admin/providers/:provider/keys',
      {
        config: {
          openapi: {
            summary: 'List a provider\'s keys',
            description: 'Needs the admin key. Ids, pools, limits, status, use and rolling health of every key (config, environment and added ones); never a secret.',
            tags: ['admin'],
            responses: { 200: { description: 'The keys.', content: json(z.object({ object: z.literal('list'), data: z.array(keyViewSchema) })) } },
          },
        },
      },
      async (request) => {
        const provider = knownProvider(parseInput(providerParams, request.params).provider);
        await keys.refresh(true);
        return { object: 'list', data: (await keys.describe(provider)).map((key) => ({ object: 'provider_key', provider, ...key })) };
      },
    );

    scope.post(
      '/v1/admin/providers/:provider/keys',
      {
        config: {
          openapi: {
            summary: 'Add a provider key',
            description:
              'Needs the admin key. The secret is sealed with MEDIAGATE_SECRET and never shown again. Workers start using the key within seconds. A pool the provider does not have yet is made with it: workers pick up its queue within seconds.',
            tags: ['admin'],
            body: { required: true, content: json(addProviderKeyBody) },
            responses: { 201: { description: 'The key, without its secret.', content: json(keyViewSchema) } },
          },
        },
      },
      async (request, reply) => {
        const provider = knownProvider(parseInput(providerParams, request.params).provider);
        const body = parseInput(addProviderKeyBody, request.body ?? {});
        await keys.refresh(true);
        if (keys.all(provider).some((key) => key.id === body.id)) {
          throw new InputError(`id: ${provider} already has a key "${body.id}"`, { field: 'id', status: 409, code: 'conflict' });
        }
        await repo.upsertProviderKey({
          id: storedKeyRowId(provider, body.id),
          provider,
          pool: body.pool,
          secret: runtime.secrets.seal('provider-keys', body.secret),
          status: 'active',
          limits: Object.fromEntries(Object.entries(body.limits).filter((entry): entry is [string, number] => entry[1] !== undefined)),
        });
        // A key id used before (then removed from the config) starts clean.
        await keys.limits.reactivate(provider, body.id);
        await keys.refresh(true);
        request.log.info({ provider, keyId: body.id, pool: body.pool }, 'provider key added');
        return reply.status(201).send(await view(provider, body.id));
      },
    );

    for (const action of ['disable', 'enable'] as const) {
      scope.post(
        `/v1/admin/providers/:provider/keys/:id/${action}`,
        {
          config: {
            openapi: {
              summary: action === 'disable' ? 'Disable a provider key' : 'Re-enable a provider key',
              description:
                action === 'disable'
                  ? 'Needs the admin key. The key is `inactive` for every worker from its next key choice; attempts already running finish.'
                  : 'Needs the admin key. The key is `active` again for every worker, also after an `error` (a 401/403) once the provider accepts it again.',
              tags: ['admin'],
              responses: { 200: { description: 'The key, without its secret.', content: json(keyViewSchema) } },
            },
          },
        },
        async (request) => {
          const params = parseInput(keyParams, request.params);
          const provider = knownProvider(params.provider);
          await keys.refresh(true);
          const key = keys.all(provider).find((candidate) => candidate.id === params.id);
          if (key === undefined) await view(provider, params.id); // throws the 404 listing the keys
          if (key?.source === 'admin') {
            const stored = (await repo.listProviderKeys(provider)).find((row) => row.id === storedKeyRowId(provider, params.id));
            if (stored) await repo.upsertProviderKey({ ...stored, status: action === 'disable' ? 'inactive' : 'active' });
          }
          if (action === 'disable') await keys.limits.setStatus(provider, params.id, 'inactive', 'disabled by an operator');
          else await keys.limits.reactivate(provider, params.id);
          await keys.refresh(true);
          request.log.info({ provider, keyId: params.id }, `provider key ${action}d`);
          return view(provider, params.id);
        },
      );
    }
  });
}
