// Operations routes for orchestrators and monitoring: readiness (Redis and the database answer)
// and Prometheus metrics. Liveness stays at /healthz with the other system routes.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { metricsAllowed, metricsUnauthorized, type Runtime } from '@mediagate/engine';
import type { OperationDoc } from '../openapi/operations.ts';
import { createMetrics } from './metrics.ts';
import { checkReadiness } from './readiness.ts';

export interface OpsOptions {
  /** How long each readiness check may take before it counts as failed, ms. */
  readinessTimeoutMs?: number;
}

const readyzDoc: OperationDoc = {
  summary: 'Readiness: Redis and the database answer',
  tags: ['operations'],
  responses: {
    200: { description: 'Ready: every check is ok.', content: { 'application/json': 'Readiness' } },
    503: { description: 'A check failed or timed out; `checks` and the message name it.', content: { 'application/json': 'Readiness' } },
  },
};

const metricsDoc: OperationDoc = {
  summary: 'Prometheus metrics',
  description:
    'Jobs by status, kind and provider (mediagate_jobs), queue depth per provider queue and state (mediagate_queue_jobs), process metrics; ' +
    'with workers in this process also attempt latency (mediagate_attempt_duration_seconds), 429s per key id (mediagate_provider_rate_limited_total), ' +
    'spend (mediagate_spend_usd_total) and finished jobs (mediagate_worker_jobs_finished_total). ' +
    'With MEDIAGATE_METRICS_TOKEN set, only requests with `Authorization: Bearer <token>` get them (401 otherwise).',
  tags: ['operations'],
  responses: { 200: { description: 'Prometheus text exposition format 0.0.4.', content: { 'text/plain': z.string() } } },
};

export function registerOpsRoutes(app: FastifyInstance, runtime: Runtime, options: OpsOptions = {}): void {
  const metrics = createMetrics(runtime, (source, error) => app.log.warn({ err: error, source }, 'metrics source unreadable'));
  app.addHook('onClose', async () => metrics.registry.clear());

  app.get('/readyz', { config: { openapi: readyzDoc } }, async (_request, reply) => {
    const readiness = await checkReadiness(runtime, options.readinessTimeoutMs);
    if (readiness.ready) return { status: 'ok', checks: readiness.checks };
    const failing = Object.keys(readiness.errors);
    app.log.warn({ errors: readiness.errors }, 'not ready');
    return reply.status(503).send({
      status: 'unavailable',
      checks: readiness.checks,
      error: { code: 'not_ready', message: `not ready: ${failing.join(', ')} did not answer` },
    });
  });

  app.get('/metrics', { config: { openapi: metricsDoc } }, async (request, reply) => {
    if (!metricsAllowed(runtime.settings.metricsToken, request.headers.authorization)) {
      return reply.status(401).header('www-authenticate', 'Bearer').send(metricsUnauthorized);
    }
    const { contentType, text } = await metrics.render();
    return reply.type(contentType).send(text);
  });
}
