// What the OpenAPI document says about each route: summary, tag, request and response shapes.
// Routes describe themselves with `config.openapi`; the routes below predate that and are described here.
import { z } from 'zod';
import { listJobsQuery } from '../job-list-query.ts';
import type { ComponentName } from './view-schemas.ts';

/** A named component (referenced) or an inline zod schema. */
export type SchemaSource = ComponentName | z.ZodType;

export interface ResponseDoc {
  description: string;
  /** Media type → schema. */
  content?: Record<string, SchemaSource>;
}

export interface OperationDoc {
  summary: string;
  description?: string;
  tags: string[];
  query?: z.ZodObject;
  headers?: Record<string, { description: string; schema: SchemaSource }>;
  body?: { required: boolean; description?: string; content: Record<string, SchemaSource> };
  /** Status code (or 4XX / 5XX) → response. Error answers are added to every operation. */
  responses: Record<string, ResponseDoc>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** How this route appears in /openapi.json; routes without it get a summary from their path. */
    openapi?: OperationDoc;
  }
}

export const tagDescriptions: Record<string, string> = {
  jobs: 'Create generation jobs, read their state and cancel them.',
  events: 'Job progress as a list or a live Server-Sent Events stream.',
  assets: 'Stored outputs and uploaded reference images.',
  providers: 'The providers and models this server can use.',
  presets: 'Named bundles of a route or model and default params, with how their jobs ended.',
  usage: 'Spend and attempts by provider, model, day or key, and what the budget has left.',
  operations: 'Liveness, readiness, metrics and this description.',
  admin: 'Tenant API keys, managed with the admin key (MEDIAGATE_ADMIN_KEY).',
  webhooks: 'Your webhook endpoint and signing secret, and the log of messages sent when jobs end (Standard Webhooks).',
};

const binary = z.string().meta({ format: 'binary' });
const eventStream = z.string().describe('Server-Sent Events: `id:` is the event seq, `data:` a JobEvent as JSON.');

const afterQuery = z.object({ after: z.number().int().min(0).optional().describe('Only events with a greater seq.') }).strict();

const json = (schema: SchemaSource) => ({ 'application/json': schema });

export const knownOperations: Record<string, OperationDoc> = {
  'POST /v1/jobs': {
    summary: 'Create a job',
    description:
      'Validates the request against every target model, stores the job and queues it. Bad input writes nothing. With `Idempotency-Key`, the same key and request answer the existing job (200) and nothing is queued again; the same key with another request is a 409 `idempotency_conflict`.',
    tags: ['jobs'],
    headers: { 'Idempotency-Key': { description: 'Up to 255 printable ASCII characters, unique per request you mean to make once.', schema: z.string() } },
    body: { required: true, content: json('GenerationRequest') },
    responses: {
      201: { description: 'The queued job.', content: json('Job') },
      200: { description: 'A replay: the job created earlier with this Idempotency-Key.', content: json('Job') },
    },
  },
  'GET /v1/jobs': {
    summary: 'List jobs',
    description: 'Newest first, paged with `before` = the previous page\'s `next_cursor`.',
    tags: ['jobs'],
    query: listJobsQuery,
    responses: { 200: { description: 'A page of jobs.', content: json('JobList') } },
  },
  'GET /v1/jobs/:id': {
    summary: 'Get a job with its attempts and outputs',
    tags: ['jobs'],
    responses: { 200: { description: 'The job.', content: json('Job') } },
  },
  'POST /v1/jobs/:id/cancel': {
    summary: 'Cancel a job',
    description: 'A queued job leaves its queue; a running one is stopped and canceled at the provider.',
    tags: ['jobs'],
    responses: { 200: { description: 'The job as it is now.', content: json('Job') } },
  },
  'GET /v1/jobs/:id/events': {
    summary: 'A job\'s events, as a list or a live stream',
    description:
      'With `Accept: text/event-stream`: replays events after `Last-Event-ID` (or `after`), continues live and closes after the terminal event; 204 when a finished job has nothing more.',
    tags: ['events'],
    query: afterQuery,
    headers: { 'Last-Event-ID': { description: 'Resume a stream after this seq.', schema: z.string() } },
    responses: {
      200: { description: 'The events, in seq order.', content: { ...json('JobEventList'), 'text/event-stream': eventStream } },
      204: { description: 'The job is finished and the client has every event.' },
    },
  },
  'GET /v1/events': {
    summary: 'Live events of all your jobs',
    description: 'Server-Sent Events with ids `<jobId>:<seq>`; nothing is replayed (the per-job stream does that).',
    tags: ['events'],
    responses: { 200: { description: 'The live stream.', content: { 'text/event-stream': eventStream } } },
  },
  'POST /v1/uploads': {
    summary: 'Upload a reference image',
    description:
      'The raw bytes as the body, or multipart/form-data with the image in the field `file`; the type is read from the bytes, not trusted from a header. Larger than MEDIAGATE_MAX_UPLOAD_BYTES (20 MB by default) is a 413.',
    tags: ['assets'],
    body: {
      required: true,
      content: {
        'multipart/form-data': z.object({ file: binary }),
        'image/png': binary,
        'image/jpeg': binary,
        'image/webp': binary,
      },
    },
    responses: { 201: { description: 'The stored image.', content: json('Asset') } },
  },
  'GET /v1/assets/:id': {
    summary: 'Get an asset\'s metadata',
    tags: ['assets'],
    responses: { 200: { description: 'The asset.', content: json('Asset') } },
  },
  'GET /v1/assets/:id/content': {
    summary: 'Download an asset\'s bytes',
    tags: ['assets'],
    description:
      'Honors one `Range: bytes=…` (206 with Content-Range; 416 when it starts past the end); several ranges are answered with the whole content. `If-None-Match` with the ETag answers 304. With `expires` and `signature` (a link from POST /v1/assets/{id}/share) no API key is needed; an expired or altered link answers 403.',
    query: z
      .object({
        expires: z.string().optional().describe('Signed links only: when the link ends, unix seconds.'),
        signature: z.string().optional().describe('Signed links only: the signature the link was made with.'),
      })
      .strict(),
    responses: {
      200: { description: 'The bytes, with their mime type and an ETag of their sha256.', content: { 'application/octet-stream': binary } },
      206: { description: 'The requested byte range.', content: { 'application/octet-stream': binary } },
      304: { description: 'The client\'s copy (If-None-Match) is current.' },
    },
  },
  'GET /v1/providers': {
    summary: 'List providers, models, capabilities and pricing',
    tags: ['providers'],
    responses: { 200: { description: 'Every provider with its models, health and key ids.', content: json('ProviderList') } },
  },
  'GET /healthz': {
    summary: 'Liveness: the process is up',
    tags: ['operations'],
    responses: { 200: { description: 'Always ok while the process serves HTTP.', content: json(z.object({ status: z.literal('ok') })) } },
  },
};
