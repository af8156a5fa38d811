// The shapes the SDK sends and receives. Requests come from @mediagate/core's schema and answers
// from the API's own view types (type-only imports: none of the server is loaded at runtime).
import type { GenerationRequestInput, JobKind, JobStatus } from '@mediagate/core';
import type { AssetLink, AssetView, JobView, describeProviders } from '@mediagate/api';
import type { EventMessage } from '@mediagate/engine';

export type { AssetLink, AssetView, GenerationRequestInput, JobKind, JobStatus, JobView };

/** One job event as the API sends it: SSE `data:` and `GET /v1/jobs/:id/events` entries alike. */
export type JobEvent = Omit<EventMessage, 'tenantId'>;
export type JobEventType = JobEvent['type'];

/** One provider of `GET /v1/providers`: its models, capabilities, pricing, health and key ids. */
export type ProviderView = Awaited<ReturnType<typeof describeProviders>>[number];

/** Filters of `jobs.list` and `jobs.iterate`. */
export interface JobListFilters {
  status?: JobStatus;
  kind?: JobKind;
  /** Jobs older than this job id: the `nextCursor` of the previous page. */
  before?: string;
  /** Jobs per page, 1–200 (the server's default is 50). */
  limit?: number;
}

/** One page of `jobs.list`, newest first. */
export interface JobPage {
  data: JobView[];
  /** Pass as `before` for the next page; null on the last page. */
  nextCursor: string | null;
}
