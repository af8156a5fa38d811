// `client.webhooks`: the tenant's endpoint (the URL terminal job states are POSTed to, and the
// signing secret, shown once when made or rotated) and the log of every delivery and its attempts.
import type { HttpClient } from './http.ts';
import type { Page, WebhookDelivery, WebhookDeliveryFilters, WebhookEndpointView } from './types.ts';

type Signal = { signal?: AbortSignal };

/** The endpoint as answered by `setEndpoint`: `created` is true the first time, with `secret`. */
export interface WebhookEndpointUpdate {
  endpoint: WebhookEndpointView;
  created: boolean;
}

class WebhookDeliveries {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  /** One page of deliveries, newest job first; pass `nextCursor` back as `before` for the next. */
  async list(filters: WebhookDeliveryFilters = {}, options: Signal = {}): Promise<Page<WebhookDelivery>> {
    const answer = await this.#http.json<{ data: WebhookDelivery[]; next_cursor: string | null }>('/v1/webhooks/deliveries', {
      query: { job_id: filters.jobId, status: filters.status, before: filters.before, limit: filters.limit },
      signal: options.signal,
    });
    return { data: answer.data, nextCursor: answer.next_cursor };
  }

  /** Every delivery matching `filters`, fetching pages as the loop needs them. */
  async *iterate(filters: WebhookDeliveryFilters = {}, options: Signal = {}): AsyncGenerator<WebhookDelivery> {
    let before = filters.before;
    for (;;) {
      const page = await this.list({ ...filters, ...(before === undefined ? {} : { before }) }, options);
      yield* page.data;
      if (page.nextCursor === null) return;
      before = page.nextCursor;
    }
  }

  /** One delivery (its id is the `webhook-id` header the receiver saw) with every attempt. */
  get(id: string, options: Signal = {}): Promise<WebhookDelivery> {
    return this.#http.json<WebhookDelivery>(`/v1/webhooks/deliveries/${encodeURIComponent(id)}`, { signal: options.signal });
  }
}

export class Webhooks {
  readonly #http: HttpClient;
  readonly deliveries: WebhookDeliveries;

  constructor(http: HttpClient) {
    this.#http = http;
    this.deliveries = new WebhookDeliveries(http);
  }

  /** The endpoint URL and the state of the signing secret (never the secret itself). */
  getEndpoint(options: Signal = {}): Promise<WebhookEndpointView> {
    return this.#http.json<WebhookEndpointView>('/v1/webhooks/endpoint', { signal: options.signal });
  }

  /**
   * Sets the URL jobs without their own `webhook_url` report to (enabling it again after a 410).
   * The first time a secret is made and returned once, as `endpoint.secret`: keep it.
   */
  async setEndpoint(url: string, options: Signal = {}): Promise<WebhookEndpointUpdate> {
    const { status, body } = await this.#http.jsonWithStatus<WebhookEndpointView>('/v1/webhooks/endpoint', {
      method: 'PUT',
      body: { url },
      signal: options.signal,
    });
    return { endpoint: body, created: status === 201 };
  }

  /** Removes the URL; the secret stays, for jobs that name their own `webhook_url`. */
  deleteEndpoint(options: Signal = {}): Promise<WebhookEndpointView> {
    return this.#http.json<WebhookEndpointView>('/v1/webhooks/endpoint', { method: 'DELETE', signal: options.signal });
  }

  /**
   * A new signing secret (the first one, if none exists), returned once as `secret`. The old one
   * keeps signing beside it for `previousSecretValidFor` seconds (0–604800; the server's default
   * is 86400), so receivers can switch without missing a message.
   */
  rotateSecret(options: { previousSecretValidFor?: number } & Signal = {}): Promise<WebhookEndpointView & { secret: string }> {
    return this.#http.json<WebhookEndpointView & { secret: string }>('/v1/webhooks/secret/rotate', {
      method: 'POST',
      body: options.previousSecretValidFor === undefined ? {} : { previous_secret_valid_for: options.previousSecretValidFor },
      signal: options.signal,
    });
  }
}
