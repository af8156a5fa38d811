// The operator's client: tenant API keys and provider keys, authorized by MEDIAGATE_ADMIN_KEY.
// A separate class from `Mediagate`, so an admin key never rides along on a tenant's requests
// and a tenant key is never offered to an admin route.
import { HttpClient, type ClientOptions } from './http.ts';
import type { AddProviderKeyInput, ApiKeyView, CreateApiKeyInput, CreatedApiKey, ProviderKeyView } from './types.ts';

type Signal = { signal?: AbortSignal };

export interface AdminClientOptions extends Omit<ClientOptions, 'apiKey'> {
  /** The server's MEDIAGATE_ADMIN_KEY, sent as `Authorization: Bearer <adminKey>`. */
  adminKey: string;
}

class ApiKeys {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  /** A key for `tenant_id` (the tenant is created when new; omitted: a new tenant). `key` is shown only here. */
  create(input: CreateApiKeyInput = {}, options: Signal = {}): Promise<CreatedApiKey> {
    return this.#http.json<CreatedApiKey>('/v1/admin/keys', { method: 'POST', body: input, signal: options.signal });
  }

  /** Keys newest first, as ids and prefixes; `active` leaves out revoked ones. */
  async list(filters: { tenantId?: string; active?: boolean } = {}, options: Signal = {}): Promise<ApiKeyView[]> {
    const query = { tenant_id: filters.tenantId, active: filters.active === undefined ? undefined : String(filters.active) };
    return (await this.#http.json<{ data: ApiKeyView[] }>('/v1/admin/keys', { query, signal: options.signal })).data;
  }

  /** Revokes the key (by its id, not the key): refused from the next request on this server. */
  revoke(id: string, options: Signal = {}): Promise<ApiKeyView> {
    return this.#http.json<ApiKeyView>(`/v1/admin/keys/${encodeURIComponent(id)}`, { method: 'DELETE', signal: options.signal });
  }
}

class ProviderKeys {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  /** Every key of the provider (config, environment and added ones) with status, use and health. */
  async list(provider: string, options: Signal = {}): Promise<ProviderKeyView[]> {
    return (await this.#http.json<{ data: ProviderKeyView[] }>(`${keysPath(provider)}`, { signal: options.signal })).data;
  }

  /** Adds a key to one of the provider's pools; its secret is sealed on the server and never shown again. */
  add(provider: string, input: AddProviderKeyInput, options: Signal = {}): Promise<ProviderKeyView> {
    return this.#http.json<ProviderKeyView>(keysPath(provider), { method: 'POST', body: input, signal: options.signal });
  }

  /** Takes the key out of use for every worker (attempts already running finish). */
  disable(provider: string, id: string, options: Signal = {}): Promise<ProviderKeyView> {
    return this.#http.json<ProviderKeyView>(`${keysPath(provider)}/${encodeURIComponent(id)}/disable`, { method: 'POST', signal: options.signal });
  }

  /** Puts the key back in use (also after the provider refused it, once it accepts it again). */
  enable(provider: string, id: string, options: Signal = {}): Promise<ProviderKeyView> {
    return this.#http.json<ProviderKeyView>(`${keysPath(provider)}/${encodeURIComponent(id)}/enable`, { method: 'POST', signal: options.signal });
  }
}

function keysPath(provider: string): string {
  return `/v1/admin/providers/${encodeURIComponent(provider)}/keys`;
}

export class MediagateAdmin {
  /** Tenant API keys: create, list, revoke. */
  readonly keys: ApiKeys;
  /** Provider keys at run time: list, add, disable, enable. */
  readonly providerKeys: ProviderKeys;
  readonly baseURL: string;

  constructor(options: AdminClientOptions) {
    const { adminKey, ...rest } = options;
    if (typeof adminKey !== 'string' || adminKey === '') throw new TypeError('MediagateAdmin: adminKey is required (the server\'s MEDIAGATE_ADMIN_KEY)');
    const http = new HttpClient({ ...rest, apiKey: adminKey });
    this.baseURL = http.baseURL;
    this.keys = new ApiKeys(http);
    this.providerKeys = new ProviderKeys(http);
  }
}
