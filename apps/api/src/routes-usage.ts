// GET /v1/usage: the tenant's attempts and spend grouped by provider, model, UTC day or key,
// from the attempts themselves, with its budget periods (limit, reserved, spent, remaining).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseInput } from '@mediagate/core';
import { budgetStatus, type Runtime } from '@mediagate/engine';
import { usageGroups } from '@mediagate/db';
import { tenantOf } from './routes-jobs.ts';

export const usageQuery = z
  .object({
    group_by: z.enum(usageGroups).default('provider'),
    /** ISO 8601 instants; attempts started in [from, to). */
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();

const groupField = { provider: 'provider', model: 'model', day: 'day', key: 'key' } as const;

export function registerUsageRoutes(app: FastifyInstance, runtime: Runtime): void {
  app.get(
    '/v1/usage',
    {
      config: {
        openapi: {
          summary: "The tenant's usage and spend",
          description:
            'Attempts, succeeded and failed attempts, distinct jobs and USD spent (the actual cost of succeeded attempts), grouped by `provider`, `model` ("provider/model"), `day` (UTC) or `key` ("provider/key id", "provider/-" for keyless calls), newest data included. `budgets` shows the periods of the tenant\'s budget now.',
          tags: ['usage'],
          query: usageQuery,
          responses: { 200: { description: 'The groups, their total, and the budget periods.' } },
        },
      },
    },
    async (request) => {
      const query = parseInput(usageQuery, request.query);
      const tenantId = tenantOf(request);
      const [rows, budgets] = await Promise.all([
        runtime.repo.spending.usage({
          tenantId,
          groupBy: query.group_by,
          ...(query.from === undefined ? {} : { from: new Date(query.from) }),
          ...(query.to === undefined ? {} : { to: new Date(query.to) }),
        }),
        budgetStatus(runtime, tenantId),
      ]);
      const field = groupField[query.group_by];
      const total = rows.reduce((sum, row) => sum + row.costUsd, 0);
      return {
        object: 'usage',
        group_by: query.group_by,
        data: rows.map((row) => ({
          [field]: row.group,
          jobs: row.jobs,
          attempts: row.attempts,
          succeeded: row.succeeded,
          failed: row.failed,
          cost_usd: row.costUsd,
        })),
        total_cost_usd: Math.round(total * 1e6) / 1e6,
        budgets,
      };
    },
  );
}
