// Job routes: create, read, list, cancel. Everything is scoped to the caller's tenant.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { InputError, NotFoundError, jobKinds, jobStatuses, parseInput } from '@mediagate/core';
import { cancelJob, submitJob, type Runtime } from '@mediagate/engine';
import { jobView } from './views.ts';

const idParams = z.object({ id: z.string().min(1).max(100) });
const listQuery = z
  .object({
    status: z.enum(jobStatuses).optional(),
    kind: z.enum(jobKinds).optional(),
    before: z.string().max(100).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();

export function tenantOf(request: { headers: Record<string, unknown> }): string {
  void request;
  // Tenants arrive with API keys; until then every caller is the default tenant.
  return 'ten_default';
}

export function registerJobRoutes(app: FastifyInstance, runtime: Runtime): void {
  const { repo } = runtime;

  app.post('/v1/jobs', async (request, reply) => {
    if (typeof request.body !== 'object' || request.body === null || Array.isArray(request.body)) {
      throw new InputError('body: send a JSON object, e.g. {"kind": "image", "prompt": "..."}', { field: 'body' });
    }
    const job = await submitJob(runtime, tenantOf(request), request.body);
    return reply.status(201).send(jobView(job, { attempts: [], outputs: [] }));
  });

  app.get('/v1/jobs/:id', async (request) => {
    const { id } = parseInput(idParams, request.params);
    const tenantId = tenantOf(request);
    const job = await repo.getJob(id, tenantId);
    if (job === undefined) throw new NotFoundError('job', id);
    const [attempts, outputs] = await Promise.all([repo.listAttempts(id), repo.listJobAssets(id)]);
    return jobView(job, { attempts, outputs });
  });

  app.get('/v1/jobs', async (request) => {
    const query = parseInput(listQuery, request.query);
    const jobs = await repo.listJobs({ tenantId: tenantOf(request), ...query });
    const last = jobs.at(-1);
    return {
      object: 'list',
      data: jobs.map((job) => jobView(job)),
      next_cursor: jobs.length === query.limit && last ? last.id : null,
    };
  });

  app.post('/v1/jobs/:id/cancel', async (request) => {
    const { id } = parseInput(idParams, request.params);
    const job = await cancelJob(runtime, id, tenantOf(request));
    if (job === undefined) throw new NotFoundError('job', id);
    return jobView(job);
  });

  app.get('/v1/jobs/:id/events', async (request) => {
    const { id } = parseInput(idParams, request.params);
    const tenantId = tenantOf(request);
    if ((await repo.getJob(id, tenantId)) === undefined) throw new NotFoundError('job', id);
    const after = parseInput(z.object({ after: z.coerce.number().int().min(0).default(0) }).strict(), request.query).after;
    const events = await repo.listEvents(id, after, tenantId);
    return { object: 'list', data: events.map((event) => ({ ...event, createdAt: event.createdAt.toISOString() })) };
  });
}
