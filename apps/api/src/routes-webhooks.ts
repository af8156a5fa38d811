// Webhook routes: the tenant's endpoint (URL and signing secret, shown once when created or
// rotated) and the delivery log. Messages themselves are sent by the workers (engine webhooks/).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { InputError, NotFoundError, parseInput, webhookUrlSchema } from '@mediagate/core';
import { webhookDeliveryStatuses, type WebhookDeliveryRecord } from '@mediagate/db';
import {
  clearWebhookEndpoint,
  getWebhookEndpoint,
  rotateWebhookSecret,
  setWebhookEndpoint,
  type Runtime,
} from '@mediagate/engine';
import { tenantOf } from './routes-jobs.ts';

const maxGraceSeconds = 7 * 24 * 3600;

const endpointBody = z.object({ url: webhookUrlSchema.describe('Where terminal job states are POSTed: http(s), at most 2048 characters.') }).strict();

const rotateBody = z
  .object({
    previous_secret_valid_for: z
      .number()
      .int()
      .min(0)
      .max(maxGraceSeconds)
      .default(86_400)
      .describe('Seconds the replaced secret keeps signing beside the new one (0 to 604800; 86400 when absent).'),
  })
  .strict();

const deliveriesQuery = z
  .object({
    job_id: z.string().min(1).max(100).optional().describe('Only the deliveries of this job.'),
    status: z.enum(webhookDeliveryStatuses).optional(),
    before: z.string().max(120).optional().describe('A delivery id from next_cursor: the page after it.'),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();

const idParams = z.object({ id: z.string().min(1).max(120) });

const endpointSchema = z.object({
  object: z.literal('webhook_endpoint'),
  url: z.string().nullable(),
  enabled: z.boolean(),
  disabled_reason: z.string().nullable(),
  has_secret: z.boolean(),
  secret_created_at: z.string().nullable(),
  previous_secret_expires_at: z.string().nullable(),
  secret: z.string().optional().describe('Only when just created or rotated: the whsec_… signing secret, shown this once.'),
});

const attemptSchema = z.object({
  at: z.string(),
  status_code: z.number().int().nullable(),
  latency_ms: z.number().int(),
  error: z.string().nullable(),
});

const deliverySchema = z.object({
  id: z.string().describe('The webhook-id header of every attempt.'),
  object: z.literal('webhook_delivery'),
  job_id: z.string(),
  type: z.string(),
  url: z.string(),
  status: z.enum(webhookDeliveryStatuses),
  attempts: z.number().int(),
  last_status_code: z.number().int().nullable(),
  last_error: z.string().nullable(),
  next_attempt_at: z.string().nullable(),
  created_at: z.string(),
  finished_at: z.string().nullable(),
  attempt_log: z.array(attemptSchema),
});

export function deliveryView(delivery: WebhookDeliveryRecord): z.infer<typeof deliverySchema> {
  return {
    id: delivery.id,
    object: 'webhook_delivery',
    job_id: delivery.jobId,
    type: delivery.eventType,
    url: delivery.url,
    status: delivery.status,
    attempts: delivery.attempts,
    last_status_code: delivery.lastStatusCode,
    last_error: delivery.lastError,
    next_attempt_at: delivery.status === 'pending' ? (delivery.nextAttemptAt?.toISOString() ?? null) : null,
    created_at: delivery.createdAt.toISOString(),
    finished_at: delivery.finishedAt?.toISOString() ?? null,
    attempt_log: delivery.attemptLog.map((attempt) => ({
      at: attempt.at,
      status_code: attempt.statusCode,
      latency_ms: attempt.latencyMs,
      error: attempt.error,
    })),
  };
}

const json = (schema: z.ZodType) => ({ 'application/json': schema });

/** The body as a JSON object (absent counts as `{}`), or a 400 showing what to send. */
function objectBody(body: unknown, example: string): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new InputError(`body: send a JSON object, e.g. ${example}`, { field: 'body' });
  return body as Record<string, unknown>;
}

export function registerWebhookRoutes(app: FastifyInstance, runtime: Runtime): void {
  app.get(
    '/v1/webhooks/endpoint',
    {
      config: {
        openapi: {
          summary: 'Get your webhook endpoint',
          description: 'The URL terminal job states go to and the state of the signing secret (never the secret itself).',
          tags: ['webhooks'],
          responses: { 200: { description: 'The endpoint; `url` is null and `has_secret` false when none is set.', content: json(endpointSchema) } },
        },
      },
    },
    async (request) => getWebhookEndpoint(runtime, tenantOf(request)),
  );

  app.put(
    '/v1/webhooks/endpoint',
    {
      config: {
        openapi: {
          summary: 'Set your webhook endpoint',
          description:
            'Sets the URL every job without its own `webhook_url` reports its end to, and enables it again after a 410. The first time, a signing secret is made and returned once as `secret` (201); keep it to verify signatures. A URL the SSRF guard refuses from the URL alone (loopback, private or metadata addresses, credentials) is a 400 `url_not_allowed`.',
          tags: ['webhooks'],
          body: { required: true, content: json(endpointBody) },
          responses: {
            201: { description: 'Created, with the new secret.', content: json(endpointSchema) },
            200: { description: 'Updated; the secret is unchanged and not shown.', content: json(endpointSchema) },
          },
        },
      },
    },
    async (request, reply) => {
      const { url } = parseInput(endpointBody, objectBody(request.body, '{"url": "https://example.com/hooks/mediagate"}'));
      const { view, created } = await setWebhookEndpoint(runtime, tenantOf(request), url);
      return reply.status(created ? 201 : 200).send(view);
    },
  );

  app.delete(
    '/v1/webhooks/endpoint',
    {
      config: {
        openapi: {
          summary: 'Remove your webhook endpoint',
          description: 'No more messages go to the tenant URL; the signing secret stays for jobs that name their own `webhook_url`.',
          tags: ['webhooks'],
          responses: { 200: { description: 'The endpoint without a URL.', content: json(endpointSchema) } },
        },
      },
    },
    async (request) => clearWebhookEndpoint(runtime, tenantOf(request)),
  );

  app.post(
    '/v1/webhooks/secret/rotate',
    {
      config: {
        openapi: {
          summary: 'Rotate (or create) your webhook signing secret',
          description:
            'Makes a new `whsec_…` secret and returns it once. Until `previous_secret_expires_at` every message carries two signatures (new and old, space-separated in `webhook-signature`), so receivers can switch without missing one.',
          tags: ['webhooks'],
          body: { required: false, content: json(rotateBody) },
          responses: { 200: { description: 'The endpoint with its new secret.', content: json(endpointSchema) } },
        },
      },
    },
    async (request) => {
      const { previous_secret_valid_for } = parseInput(rotateBody, objectBody(request.body, '{"previous_secret_valid_for": 86400}'));
      return rotateWebhookSecret(runtime, tenantOf(request), previous_secret_valid_for * 1000);
    },
  );

  app.get(
    '/v1/webhooks/deliveries',
    {
      config: {
        openapi: {
          summary: 'List webhook deliveries',
          description:
            "One entry per message (a job that ended), newest job first, with every attempt: status code, latency, error and the next retry. Paged with `before` = the previous page's `next_cursor`.",
          tags: ['webhooks'],
          query: deliveriesQuery,
          responses: {
            200: {
              description: 'A page of deliveries.',
              content: json(z.object({ object: z.literal('list'), data: z.array(deliverySchema), next_cursor: z.string().nullable() })),
            },
          },
        },
      },
    },
    async (request) => {
      const query = parseInput(deliveriesQuery, request.query);
      const found = await runtime.repo.webhooks.listDeliveries({
        tenantId: tenantOf(request),
        limit: query.limit + 1,
        ...(query.job_id === undefined ? {} : { jobId: query.job_id }),
        ...(query.status === undefined ? {} : { status: query.status }),
        ...(query.before === undefined ? {} : { before: query.before }),
      });
      const page = found.slice(0, query.limit);
      const last = page.at(-1);
      return { object: 'list', data: page.map(deliveryView), next_cursor: found.length > query.limit && last ? last.id : null };
    },
  );

  app.get(
    '/v1/webhooks/deliveries/:id',
    {
      config: {
        openapi: {
          summary: 'Get a webhook delivery',
          tags: ['webhooks'],
          responses: { 200: { description: 'The delivery with its attempts.', content: json(deliverySchema) } },
        },
      },
    },
    async (request) => {
      const { id } = parseInput(idParams, request.params);
      const delivery = await runtime.repo.webhooks.getDelivery(id, tenantOf(request));
      if (delivery === undefined) throw new NotFoundError('webhook delivery', id);
      return deliveryView(delivery);
    },
  );
}
