// `client.usage`: the tenant's attempts and spend grouped by provider, model, UTC day or key,
// with what its budget periods have left.
import type { HttpClient } from './http.ts';
import type { UsageOptions, UsageReport } from './types.ts';

export class Usage {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  get(options: UsageOptions & { signal?: AbortSignal } = {}): Promise<UsageReport> {
    const instant = (value: Date | string | undefined) => (value instanceof Date ? value.toISOString() : value);
    return this.#http.json<UsageReport>('/v1/usage', {
      query: { group_by: options.groupBy, from: instant(options.from), to: instant(options.to) },
      signal: options.signal,
    });
  }
}
