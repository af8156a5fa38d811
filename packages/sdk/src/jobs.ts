// `client.jobs`: price, submit, read, list (a page, or every page as an async iterator), cancel,
// delete, follow a job's events live and wait for it to finish.
import { MediagateFanOutError } from './errors.ts';
import type { HttpClient } from './http.ts';
import { streamJobEvents, type JobEventsOptions } from './job-events.ts';
import { waitForJob, type WaitOptions } from './job-wait.ts';
import type { CostEstimate, FanOutView, GenerationRequestInput, JobEvent, JobListFilters, JobPage, JobSubmission, JobView } from './types.ts';

export interface CreateJobOptions {
  /** Sent as `Idempotency-Key`: a retried create with the same key makes one job, not two. */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

interface ListAnswer {
  data: JobView[];
  next_cursor: string | null;
}

const instant = (value: Date | string | undefined) => (value instanceof Date ? value.toISOString() : value);

export class Jobs {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  /**
   * Submits a job. `model` names a route or tier (`draft`, `standard`, …) or "provider/model";
   * `preset`, `pool` and `webhook_url` go in the request too. Over budget, nothing is stored and
   * the call throws MediagateBudgetExceededError with what is left. A fan-out route makes several
   * jobs: `create` then throws MediagateFanOutError holding them all; `submit` takes both.
   */
  async create(request: GenerationRequestInput, options: CreateJobOptions = {}): Promise<JobView> {
    const answer = await this.#post(request, options);
    if (answer.object === 'fan_out') throw new MediagateFanOutError(answer);
    return answer;
  }

  /** Submits a job request and answers every job it made: one, or one per target of a fan-out route. */
  async submit(request: GenerationRequestInput, options: CreateJobOptions = {}): Promise<JobSubmission> {
    const answer = await this.#post(request, options);
    if (answer.object === 'fan_out') return { jobs: answer.jobs, batchId: answer.batch_id, route: answer.route };
    return { jobs: [answer], batchId: null, route: null };
  }

  #post(request: GenerationRequestInput, options: CreateJobOptions): Promise<JobView | FanOutView> {
    return this.#http.json<JobView | FanOutView>('/v1/jobs', {
      method: 'POST',
      body: request,
      signal: options.signal,
      ...(options.idempotencyKey ? { headers: { 'idempotency-key': options.idempotencyKey } } : {}),
    });
  }

  /** What `request` would cost, on its route and on every model able to run it; nothing is stored. */
  estimate(request: GenerationRequestInput, options: { signal?: AbortSignal } = {}): Promise<CostEstimate> {
    return this.#http.json<CostEstimate>('/v1/estimate', { method: 'POST', body: request, signal: options.signal });
  }

  /** The job with its attempts and outputs. */
  get(id: string, options: { signal?: AbortSignal } = {}): Promise<JobView> {
    return this.#http.json<JobView>(`/v1/jobs/${encodeURIComponent(id)}`, { signal: options.signal });
  }

  /** One page, newest first; pass `nextCursor` back as `before` for the next. */
  async list(filters: JobListFilters = {}, options: { signal?: AbortSignal } = {}): Promise<JobPage> {
    const answer = await this.#http.json<ListAnswer>('/v1/jobs', {
      query: {
        status: filters.status,
        kind: filters.kind,
        provider: filters.provider,
        batch_id: filters.batchId,
        created_after: instant(filters.createdAfter),
        created_before: instant(filters.createdBefore),
        before: filters.before,
        limit: filters.limit,
      },
      signal: options.signal,
    });
    return { data: answer.data, nextCursor: answer.next_cursor };
  }

  /** Every job matching `filters`, fetching pages of `limit` as the loop needs them. */
  async *iterate(filters: JobListFilters = {}, options: { signal?: AbortSignal } = {}): AsyncGenerator<JobView> {
    let before = filters.before;
    for (;;) {
      const page = await this.list({ ...filters, ...(before === undefined ? {} : { before }) }, options);
      yield* page.data;
      if (page.nextCursor === null) return;
      before = page.nextCursor;
    }
  }

  /** Asks the job to stop; answers the job as it stands (a running attempt may still finish). */
  cancel(id: string, options: { signal?: AbortSignal } = {}): Promise<JobView> {
    return this.#http.json<JobView>(`/v1/jobs/${encodeURIComponent(id)}/cancel`, { method: 'POST', signal: options.signal });
  }

  /** Removes the job with its events, attempts and outputs (canceling it first if it still runs). */
  delete(id: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.#http.empty(`/v1/jobs/${encodeURIComponent(id)}`, { method: 'DELETE', signal: options.signal });
  }

  /**
   * The job's events, live (Server-Sent Events): first those already recorded (after
   * `lastEventId`), then each as it happens; ends after the terminal event.
   */
  events(id: string, options: JobEventsOptions = {}): AsyncGenerator<JobEvent> {
    return streamJobEvents(this.#http, id, options);
  }

  /** The events recorded so far after seq `after`, in one JSON answer (no streaming). */
  async listEvents(id: string, options: { after?: number; signal?: AbortSignal } = {}): Promise<JobEvent[]> {
    const answer = await this.#http.json<{ data: JobEvent[] }>(`/v1/jobs/${encodeURIComponent(id)}/events`, {
      query: { after: options.after },
      signal: options.signal,
    });
    // The list also carries the tenant; the event stream does not, and neither does JobEvent.
    return answer.data.map(({ jobId, seq, type, data, createdAt }) => ({ jobId, seq, type, data, createdAt }));
  }

  /** Resolves to the finished job (succeeded, failed or canceled: check `status`). */
  wait(id: string, options: WaitOptions = {}): Promise<JobView> {
    return waitForJob(this, id, options);
  }
}
