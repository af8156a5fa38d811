// The Mediagate client: one object holding the connection settings and a tenant's API key, with
// the API's resources (jobs, assets, uploads, providers, webhooks, presets, usage) as properties.
import { Assets, Uploads } from './assets.ts';
import { HttpClient, type ClientOptions } from './http.ts';
import { Jobs } from './jobs.ts';
import { Presets } from './presets.ts';
import { TenantEvents } from './tenant-events.ts';
import { Usage } from './usage.ts';
import { Webhooks } from './webhooks.ts';
import type { ProviderView } from './types.ts';

class Providers {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  /** Every provider this server knows, with its models, capabilities, pricing and health. */
  async list(options: { signal?: AbortSignal } = {}): Promise<ProviderView[]> {
    return (await this.#http.json<{ data: ProviderView[] }>('/v1/providers', { signal: options.signal })).data;
  }
}

export class Mediagate {
  readonly jobs: Jobs;
  /** Every job's events, live (`GET /v1/events`). */
  readonly events: TenantEvents;
  readonly assets: Assets;
  readonly uploads: Uploads;
  readonly providers: Providers;
  readonly webhooks: Webhooks;
  readonly presets: Presets;
  readonly usage: Usage;
  readonly baseURL: string;

  constructor(options: ClientOptions) {
    const http = new HttpClient(options);
    this.baseURL = http.baseURL;
    this.jobs = new Jobs(http);
    this.events = new TenantEvents(http);
    this.assets = new Assets(http);
    this.uploads = new Uploads(http);
    this.providers = new Providers(http);
    this.webhooks = new Webhooks(http);
    this.presets = new Presets(http);
    this.usage = new Usage(http);
  }
}
