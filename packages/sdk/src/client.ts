// The Mediagate client: one object holding the connection settings, with the API's resources
// (jobs, assets, uploads, providers) as properties.
import { Assets, Uploads } from './assets.ts';
import { HttpClient, type ClientOptions } from './http.ts';
import { Jobs } from './jobs.ts';
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
  readonly assets: Assets;
  readonly uploads: Uploads;
  readonly providers: Providers;
  readonly baseURL: string;

  constructor(options: ClientOptions) {
    const http = new HttpClient(options);
    this.baseURL = http.baseURL;
    this.jobs = new Jobs(http);
    this.assets = new Assets(http);
    this.uploads = new Uploads(http);
    this.providers = new Providers(http);
  }
}
