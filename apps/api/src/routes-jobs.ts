// Job routes: create (idempotent with Idempotency-Key), read, list, cancel, delete, events.
// Everything is scoped to the caller's tenant.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { InputError, NotFoundError, isTerminal, parseInput } from '@mediagate/core';
import { cancelJob, submitOrReplayJob, type Runtime } from '@mediagate/engine';
import { authenticatedTenant } from './auth/tenant-auth.ts';
import { idempotencyConflict, idempotencyKeyOf, sameRequest } from './idempotency.ts';
import { parseJobListQuery } from './job-list-query.ts';
import { fanOutView } from './fan-out-view.ts';
import { jobView } from './views.ts';

const idParams = z.object({ id: z.string().min(1).max(100) });

/** The tenant of the request's API key (auth/tenant-auth.ts); every read and write is scoped to it. */
export function tenantOf(request: FastifyRequest): string {
  return authenticatedTenant(request);
}

/** The body as a JSON object, or a 400 showing what a job request looks like. */
export function jobRequestBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InputError('body: send a JSON object, e.g. {"kind": "image", "prompt": "..."}', { field: 'body' });
  }
  return body as Record<string, unknown>;
}

const eventsQuery = z.object({ after: z.coerce.number().int().min(0).default(0) }).strict();

export function registerJobRoutes(app: FastifyInstance, runtime: Runtime): void {
  const { repo, store } = runtime;

  app.post('/v1/jobs', async (request, reply) => {
    const body = jobRequestBody(request.body);
    const idempotencyKey = idempotencyKeyOf(request.headers);
    const outcome = await submitOrReplayJob(runtime, tenantOf(request), body, { runHere: true, ...(idempotencyKey === undefined ? {} : { idempotencyKey }) });
    if (outcome.fanOut) return reply.status(outcome.created ? 201 : 200).send(fanOutView(outcome.fanOut));
    if (outcome.created) return reply.status(201).send(jobView(outcome.job, { attempts: outcome.started ? [outcome.started] : [], outputs: [] }));
    if (!sameRequest(outcome.job.request, outcome.request)) throw idempotencyConflict(outcome.job.id);
    // A replay answers the job as it is now, which may have run meanwhile.
    const [attempts, outputs] = await Promise.all([repo.listAttempts(outcome.job.id), repo.listJobAssets(outcome.job.id)]);
    return reply.status(200).header('idempotent-replayed', 'true').send(jobView(outcome.job, { attempts, outputs }));
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
    const { filter, limit } = parseJobListQuery(tenantOf(request), request.query);
    const found = await repo.listJobs(filter);
    const jobs = found.slice(0, limit);
    const last = jobs.at(-1);
    return {
      object: 'list',
      data: jobs.map((job) => jobView(job)),
      next_cursor: found.length > limit && last ? last.id : null,
    };
  });

  app.post('/v1/jobs/:id/cancel', async (request) => {
    const { id } = parseInput(idParams, request.params);
    const job = await cancelJob(runtime, id, tenantOf(request));
    if (job === undefined) throw new NotFoundError('job', id);
    return jobView(job);
  });

  app.delete(
    '/v1/jobs/:id',
    {
      config: {
        openapi: {
          summary: 'Delete a job',
          description:
            'Removes the job with its events, attempts and outputs; a job still queued or running is canceled first. Output bytes go from the store unless another asset holds the same content.',
          tags: ['jobs'],
          responses: { 204: { description: 'Deleted.' } },
        },
      },
    },
    async (request, reply) => {
      const { id } = parseInput(idParams, request.params);
      const tenantId = tenantOf(request);
      const job = await repo.getJob(id, tenantId);
      if (job === undefined) throw new NotFoundError('job', id);
      if (!isTerminal(job.status)) await cancelJob(runtime, id, tenantId);
      const deleted = await repo.deleteJob(id, tenantId);
      if (deleted === undefined) throw new NotFoundError('job', id);
      await Promise.all(deleted.unreferencedKeys.map((key) => store.delete(key)));
      return reply.status(204).send();
    },
  );

  app.get('/v1/jobs/:id/events', async (request) => {
    const { id } = parseInput(idParams, request.params);
    const tenantId = tenantOf(request);
    if ((await repo.getJob(id, tenantId)) === undefined) throw new NotFoundError('job', id);
    const after = parseInput(eventsQuery, request.query).after;
    const events = await repo.listEvents(id, after, tenantId);
    return { object: 'list', data: events.map((event) => ({ ...event, createdAt: event.createdAt.toISOString() })) };
  });
}
