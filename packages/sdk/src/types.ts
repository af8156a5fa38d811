// The shapes the SDK sends and receives. Requests come from @mediagate/core's schema and answers
// from the API's own view types (type-only imports: none of the server is loaded at runtime).
// Where a route builds its answer inline, the shape is written out here, checked by the tests.
import type { z } from 'zod';
import type { GenerationParams, GenerationRequestInput, JobKind, JobStatus } from '@mediagate/core';
import type { AssetLink, AssetView, JobView, PricedModel, addProviderKeyBody, createKeyBody, deliveryView, describeProviders, fanOutView } from '@mediagate/api';
import type { UsageGroup, WebhookDeliveryStatus } from '@mediagate/db';
import type { BudgetStatus, EventMessage, KeyView, PresetBody, WebhookEndpointView, presetBodySchema } from '@mediagate/engine';

export type {
  AssetLink,
  AssetView,
  BudgetStatus,
  GenerationRequestInput,
  JobKind,
  JobStatus,
  JobView,
  PricedModel,
  UsageGroup,
  WebhookDeliveryStatus,
  WebhookEndpointView,
};

/** One job event as the API sends it: SSE `data:` and `GET /v1/jobs/:id/events` entries alike. */
export type JobEvent = Omit<EventMessage, 'tenantId'>;
export type JobEventType = JobEvent['type'];

/** One provider of `GET /v1/providers`: its models, capabilities, pricing, health and key ids. */
export type ProviderView = Awaited<ReturnType<typeof describeProviders>>[number];

/** The answer to a job request on a fan-out route: one job per target, under one batch. */
export type FanOutView = ReturnType<typeof fanOutView>;

/** What `jobs.submit` answers: the one job made, or every job of a fan-out route. */
export interface JobSubmission {
  /** Each with the `target` it runs on when the route fanned out. */
  jobs: (JobView & { target?: string | null })[];
  /** The fan-out's batch (list its jobs with `jobs.list({ batchId })`); null for a single job. */
  batchId: string | null;
  /** The fan-out route's name; null for a single job. */
  route: string | null;
}

/** Filters of `jobs.list` and `jobs.iterate`. */
export interface JobListFilters {
  status?: JobStatus;
  kind?: JobKind;
  /** The provider that served the job, else the one it is queued for. */
  provider?: string;
  /** The jobs of one fan-out. */
  batchId?: string;
  /** Only jobs created after this instant. */
  createdAfter?: Date | string;
  /** Only jobs created before this instant. */
  createdBefore?: Date | string;
  /** Jobs older than this job id: the `nextCursor` of the previous page. */
  before?: string;
  /** Jobs per page, 1–200 (the server's default is 50). */
  limit?: number;
}

/** One page of a list, newest first. */
export interface Page<T> {
  data: T[];
  /** Pass as `before` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** One page of `jobs.list`. */
export type JobPage = Page<JobView>;

/** One webhook message (a job that ended) with every attempt to deliver it. */
export type WebhookDelivery = ReturnType<typeof deliveryView>;

/** Filters of `webhooks.deliveries.list` and `.iterate`. */
export interface WebhookDeliveryFilters {
  /** Only this job's deliveries. */
  jobId?: string;
  status?: WebhookDeliveryStatus;
  /** The `nextCursor` of the previous page. */
  before?: string;
  /** Deliveries per page, 1–200 (the server's default is 50). */
  limit?: number;
}

/** The body of `presets.put` (and of `presets.create`, with `name`). */
export type PresetInput = z.input<typeof presetBodySchema>;
export type { PresetBody };

/** A preset as `/v1/presets` answers it, with how the jobs that named it ended. */
export interface PresetView {
  object: 'preset';
  name: string;
  /** `config`: from mediagate.config.yaml (read-only here); `tenant`: made through the API. */
  source: 'config' | 'tenant';
  kind: JobKind | null;
  /** A route name or "provider/model". */
  model: string | null;
  params: GenerationParams;
  description: string | null;
  stats: {
    succeeded: number;
    failed: number;
    canceled: number;
    /** succeeded ÷ (succeeded + failed), to 3 places; null before any. */
    success_rate: number | null;
  };
  created_at: string | null;
  updated_at: string | null;
}

/** Options of `usage.get`. */
export interface UsageOptions {
  /** How to group attempts (the server's default is `provider`). */
  groupBy?: UsageGroup;
  /** Attempts started at or after this instant. */
  from?: Date | string;
  /** Attempts started before this instant. */
  to?: Date | string;
}

/** One group of `GET /v1/usage`: the group's value is under the `group_by` name. */
export type UsageRow = { [group in UsageGroup]?: string } & {
  jobs: number;
  attempts: number;
  succeeded: number;
  failed: number;
  /** The actual cost of the group's succeeded attempts, USD. */
  cost_usd: number;
};

/** `GET /v1/usage`: the tenant's attempts and spend, and its budget periods now. */
export interface UsageReport {
  object: 'usage';
  group_by: UsageGroup;
  data: UsageRow[];
  total_cost_usd: number;
  budgets: BudgetStatus[];
}

/** `POST /v1/estimate`: what a job would cost, on its route and on every model able to run it. */
export interface CostEstimate {
  object: 'estimate';
  /** The price on the request's first target. */
  estimate: PricedModel;
  route: {
    name: string | null;
    strategy: string | null;
    fan_out: boolean;
    /** `usd` is null where the model's price is unknown (a Replicate model outside the price list). */
    targets: { provider: string; model: string; usd: number | null }[];
    /**
     * What submitting would hold against the budget: the dearest target, or the sum for fan-out;
     * null when a price on the route is unknown (under a budget such a job is refused, 402 price_unknown).
     */
    reserve_usd: number | null;
  };
  alternatives: PricedModel[];
  cheapest: PricedModel;
  budgets: BudgetStatus[];
  within_budget: boolean;
}

/** A tenant API key as the admin routes list it: never the key itself. */
export interface ApiKeyView {
  object: 'api_key';
  id: string;
  tenant_id: string;
  /** The first characters of the key, to tell keys apart. */
  prefix: string;
  created_at: string;
  revoked_at: string | null;
}

/** The answer that creates a key: the only time `key` is shown. */
export interface CreatedApiKey extends ApiKeyView {
  key: string;
  tenant_name: string;
}

/** The body of `admin.keys.create`. */
export type CreateApiKeyInput = z.input<typeof createKeyBody>;

/** A provider key as the admin routes show it: ids, pool, limits, status, use; never the secret. */
export type ProviderKeyView = { object: 'provider_key'; provider: string } & KeyView;

/** The body of `admin.providerKeys.add`. */
export type AddProviderKeyInput = z.input<typeof addProviderKeyBody>;
