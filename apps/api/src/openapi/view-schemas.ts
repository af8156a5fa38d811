// The response shapes of views.ts and the one error shape, as zod schemas: the source of the
// OpenAPI document's components. A test parses real views with them so the two cannot drift.
import { z } from 'zod';
import { attemptStatuses, errorClasses, generationParamsSchema, generationRequestSchema, jobKinds, jobStatuses } from '@mediagate/core';
import { jobEventTypes } from '@mediagate/db';

const timestamp = z.iso.datetime();

export const errorBodySchema = z
  .object({
    error: z
      .object({
        code: z.string().describe('Stable, machine-readable, e.g. invalid_request, not_found, internal.'),
        message: z.string().describe('What went wrong; for bad input it starts with the field.'),
        field: z.string().optional().describe('The request field at fault, as a path like params.width.'),
        allowed: z.array(z.union([z.string(), z.number()])).optional().describe('The values that field accepts.'),
        budget: z
          .object({
            period: z.enum(['daily', 'monthly']).describe('The budget period that has too little left.'),
            limit_usd: z.number().describe("That period's limit."),
            remaining_usd: z.number().describe('What that period has left.'),
            estimate_usd: z.number().describe('What the refused request was estimated at.'),
          })
          .strict()
          .optional()
          .describe('With code budget_exceeded (402): the figures the message states.'),
      })
      .strict(),
  })
  .strict();

export const errorRecordSchema = z
  .object({
    class: z.enum([...errorClasses, 'internal']),
    message: z.string(),
    status: z.number().int().optional(),
    providerCode: z.string().optional(),
  })
  .strict();

export const assetViewSchema = z
  .object({
    id: z.string(),
    url: z.string().describe('Where the bytes are served: /v1/assets/{id}/content.'),
    mime: z.string(),
    kind: z.enum(['image', 'video', 'audio']),
    bytes: z.number().int(),
    sha256: z.string(),
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
    duration_ms: z.number().nullable(),
  })
  .strict();

export const attemptViewSchema = z
  .object({
    id: z.string(),
    number: z.number().int(),
    provider: z.string(),
    model: z.string(),
    key_id: z.string().nullable(),
    status: z.enum(attemptStatuses),
    error: errorRecordSchema.nullable(),
    cost_usd: z.number().nullable(),
    started_at: timestamp,
    submitted_at: timestamp.nullable(),
    finished_at: timestamp.nullable(),
  })
  .strict();

export const jobViewSchema = z
  .object({
    id: z.string(),
    object: z.literal('job'),
    kind: z.enum(jobKinds),
    status: z.enum(jobStatuses),
    progress: z.number().min(0).max(100),
    prompt: z.string(),
    params: generationParamsSchema,
    image_asset_ids: z.array(z.string()).describe('Reference images the job was given (uploads, and images fetched from image_urls).'),
    mask_asset_id: z.string().nullable().describe('The edit mask, when the job has one.'),
    remix_of: z.string().nullable().describe('The job this one remixes, when it is a remix.'),
    targets: z.array(z.string()).describe('provider/model targets in the order they are tried.'),
    provider: z.string().nullable().describe('The provider that served the job, once it succeeded.'),
    model: z.string().nullable(),
    error: errorRecordSchema.nullable(),
    estimated_cost_usd: z.number().nullable(),
    actual_cost_usd: z.number().nullable(),
    priority: z.number().int(),
    metadata: z.record(z.string(), z.string()),
    last_event_seq: z.number().int(),
    created_at: timestamp,
    started_at: timestamp.nullable(),
    finished_at: timestamp.nullable(),
    attempts: z.array(attemptViewSchema).optional().describe('Present on GET /v1/jobs/{id}.'),
    outputs: z.array(assetViewSchema).optional().describe('Present on GET /v1/jobs/{id}.'),
  })
  .strict();

export const jobListSchema = z
  .object({ object: z.literal('list'), data: z.array(jobViewSchema), next_cursor: z.string().nullable() })
  .strict();

export const jobEventSchema = z
  .object({
    jobId: z.string(),
    tenantId: z.string(),
    seq: z.number().int().describe('1, 2, 3… per job, with no gaps; the SSE id.'),
    type: z.enum(jobEventTypes),
    data: z.record(z.string(), z.unknown()),
    createdAt: timestamp,
  })
  .strict();

export const jobEventListSchema = z.object({ object: z.literal('list'), data: z.array(jobEventSchema) }).strict();

export const providerListSchema = z
  .object({
    object: z.literal('list'),
    data: z.array(
      z.looseObject({
        id: z.string(),
        name: z.string(),
        requires_key: z.boolean(),
        status: z.string(),
        keys: z.array(z.unknown()),
        models: z.array(z.looseObject({ id: z.string(), description: z.string(), capabilities: z.unknown(), pricing: z.unknown() })),
      }),
    ),
  })
  .strict();

export const readinessSchema = z
  .object({
    status: z.enum(['ok', 'unavailable']),
    checks: z.object({ redis: z.enum(['ok', 'timeout', 'failed']), database: z.enum(['ok', 'timeout', 'failed']) }).strict(),
    error: errorBodySchema.shape.error.optional(),
  })
  .strict();

/** Every named component of the document, by the name it is referenced with. */
export const componentSchemas = {
  GenerationRequest: generationRequestSchema,
  GenerationParams: generationParamsSchema,
  Job: jobViewSchema,
  JobList: jobListSchema,
  Attempt: attemptViewSchema,
  Asset: assetViewSchema,
  JobEvent: jobEventSchema,
  JobEventList: jobEventListSchema,
  ProviderList: providerListSchema,
  ErrorRecord: errorRecordSchema,
  Error: errorBodySchema,
  Readiness: readinessSchema,
} satisfies Record<string, z.ZodType>;
export type ComponentName = keyof typeof componentSchemas;
