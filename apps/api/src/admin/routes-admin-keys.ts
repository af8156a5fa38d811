// Tenant API keys, managed with the admin key (MEDIAGATE_ADMIN_KEY): create one (and its tenant
// when new), list them (ids and prefixes only), revoke one. The full key appears once, in the
// answer that creates it; only its hash is stored.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NotFoundError, parseInput } from '@mediagate/core';
import type { ApiKeyRecord, TenantRecord } from '@mediagate/db';
import type { Runtime } from '@mediagate/engine';
import { issueApiKey } from '../auth/api-keys.ts';
import type { KeyCache } from '../auth/key-cache.ts';
import { adminApiGuard } from './admin-auth.ts';

const tenantId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'expected 1–64 letters, digits, "_", "-" or ".", starting with a letter or digit');

export const createKeyBody = z
  .object({
    tenant_id: tenantId.optional().describe('The tenant the key is for; created when new. Omitted: a new tenant with a generated id.'),
    tenant_name: z.string().trim().min(1).max(200).optional().describe('Name of a new tenant (default: its id); an existing tenant keeps its name.'),
  })
  .strict();

const listKeysQuery = z
  .object({
    tenant_id: tenantId.optional().describe('Only this tenant\'s keys.'),
    active: z.enum(['true', 'false']).optional().describe('true: leave out revoked keys.'),
  })
  .strict();

const keyIdParams = z.object({ id: z.string().min(1).max(100) });

const keyViewSchema = z
  .object({
    object: z.literal('api_key'),
    id: z.string(),
    tenant_id: z.string(),
    prefix: z.string().describe('The first characters of the key, to tell keys apart.'),
    created_at: z.iso.datetime(),
    revoked_at: z.iso.datetime().nullable(),
  })
  .strict();

const createdKeySchema = keyViewSchema
  .extend({
    key: z.string().describe('The full key, shown only in this answer: send it as `Authorization: Bearer <key>`.'),
    tenant_name: z.string(),
  })
  .strict();

function keyView(record: ApiKeyRecord) {
  return {
    object: 'api_key' as const,
    id: record.id,
    tenant_id: record.tenantId,
    prefix: record.prefix,
    created_at: record.createdAt.toISOString(),
    revoked_at: record.revokedAt?.toISOString() ?? null,
  };
}

const json = (schema: z.ZodType) => ({ 'application/json': schema });

export interface AdminKeyRouteOptions {
  /** The admin key; empty turns these routes into an answer saying how to turn them on. */
  adminKey: string;
  /** Told about every revoke, so this process refuses the key at once. */
  keys: KeyCache;
}

export function registerAdminKeyRoutes(app: FastifyInstance, runtime: Runtime, options: AdminKeyRouteOptions): void {
  const { repo } = runtime;
  void app.register(async (scope) => {
    scope.addHook('onRequest', adminApiGuard(options.adminKey));

    scope.post(
      '/v1/admin/keys',
      {
        config: {
          openapi: {
            summary: 'Create a tenant API key',
            description: 'Needs the admin key. Creates the tenant when `tenant_id` is new or omitted. The answer holds the full key; it cannot be shown again.',
            tags: ['admin'],
            body: { required: false, content: json(createKeyBody) },
            responses: { 201: { description: 'The new key, shown once.', content: json(createdKeySchema) } },
          },
        },
      },
      async (request, reply) => {
        const body = parseInput(createKeyBody, request.body ?? {});
        const id = body.tenant_id ?? `ten_${randomBytes(6).toString('hex')}`;
        const issued = await issueApiKey(repo, { id, ...(body.tenant_name === undefined ? {} : { name: body.tenant_name }) });
        request.log.info({ keyId: issued.record.id, prefix: issued.record.prefix, tenantId: issued.tenant.id }, 'api key created');
        return reply.status(201).send(createdView(issued.record, issued.tenant, issued.key));
      },
    );

    scope.get(
      '/v1/admin/keys',
      {
        config: {
          openapi: {
            summary: 'List tenant API keys',
            description: 'Needs the admin key. Ids, tenants and prefixes, newest first; never a key or its hash.',
            tags: ['admin'],
            query: listKeysQuery,
            responses: { 200: { description: 'The keys.', content: json(z.object({ object: z.literal('list'), data: z.array(keyViewSchema) }).strict()) } },
          },
        },
      },
      async (request) => {
        const query = parseInput(listKeysQuery, request.query);
        const records = await repo.listApiKeys({
          ...(query.tenant_id === undefined ? {} : { tenantId: query.tenant_id }),
          active: query.active === 'true',
        });
        return { object: 'list', data: records.map(keyView) };
      },
    );

    scope.delete(
      '/v1/admin/keys/:id',
      {
        config: {
          openapi: {
            summary: 'Revoke a tenant API key',
            description:
              'Needs the admin key. This process refuses the key from the next request; other API processes sharing the database within 10 s (their cache of verified keys). Revoking again changes nothing.',
            tags: ['admin'],
            responses: { 200: { description: 'The key, with `revoked_at` set.', content: json(keyViewSchema) } },
          },
        },
      },
      async (request) => {
        const { id } = parseInput(keyIdParams, request.params);
        const record = await repo.revokeApiKey(id);
        if (record === undefined) throw new NotFoundError('api key', id);
        options.keys.forget(record.id);
        request.log.info({ keyId: record.id, prefix: record.prefix, tenantId: record.tenantId }, 'api key revoked');
        return keyView(record);
      },
    );
  });
}

function createdView(record: ApiKeyRecord, tenant: TenantRecord, key: string) {
  return { ...keyView(record), key, tenant_name: tenant.name };
}
