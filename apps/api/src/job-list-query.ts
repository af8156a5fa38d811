// The query of GET /v1/jobs: filters by status, kind, provider, batch and creation time, and the
// `before` cursor, validated into the repository's JobListFilter (bad values are a 400 naming the field).
import { z } from 'zod';
import { jobKinds, jobStatuses, parseInput } from '@mediagate/core';
import type { JobListFilter } from '@mediagate/db';

const timestamp = z.iso.datetime({ offset: true, error: 'expected an ISO 8601 timestamp such as 2026-01-31T12:00:00Z' });

export const listJobsQuery = z
  .object({
    status: z.enum(jobStatuses).optional(),
    kind: z.enum(jobKinds).optional(),
    provider: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,99}$/, 'expected a provider id such as "simulated"')
      .optional()
      .describe('The provider that served the job, else the one it is queued for.'),
    batch_id: z.string().min(1).max(100).optional(),
    created_after: timestamp.optional().describe('Only jobs created after this instant (ISO 8601).'),
    created_before: timestamp.optional().describe('Only jobs created before this instant (ISO 8601).'),
    before: z.string().max(100).optional().describe('A job id from next_cursor: the page after it.'),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();

/** The filter for the tenant's page, asking for one job more than the page to know whether another follows. */
export function parseJobListQuery(tenantId: string, query: unknown): { filter: JobListFilter; limit: number } {
  const parsed = parseInput(listJobsQuery, query);
  const filter: JobListFilter = { tenantId, limit: parsed.limit + 1 };
  if (parsed.status !== undefined) filter.status = parsed.status;
  if (parsed.kind !== undefined) filter.kind = parsed.kind;
  if (parsed.provider !== undefined) filter.provider = parsed.provider;
  if (parsed.batch_id !== undefined) filter.batchId = parsed.batch_id;
  if (parsed.created_after !== undefined) filter.createdAfter = new Date(parsed.created_after);
  if (parsed.created_before !== undefined) filter.createdBefore = new Date(parsed.created_before);
  if (parsed.before !== undefined) filter.before = parsed.before;
  return { filter, limit: parsed.limit };
}
