// A small HTTP client for `--server`: the CLI talks to a running Mediagate like any other app.
// A 4xx from the server becomes an InputError (exit 2), as if the check had run locally.
import { InputError } from '@mediagate/core';

export class ServerUnreachableError extends Error {
  override readonly name = 'ServerUnreachableError';
}

export class ApiClient {
  readonly baseUrl: string;
  readonly #apiKey: string | undefined;

  /** `apiKey` is sent as `Authorization: Bearer <key>` (server.ts finds it). */
  constructor(baseUrl: string, apiKey?: string) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.#apiKey = apiKey;
  }

  async request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const response = await this.raw(method, path, body, headers);
    return (await response.json()) as T;
  }

  async raw(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    let response: Response;
    const isBytes = body instanceof Uint8Array;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          ...(body !== undefined && !isBytes ? { 'content-type': 'application/json' } : {}),
          ...(this.#apiKey === undefined ? {} : { authorization: `Bearer ${this.#apiKey}` }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: isBytes ? new Uint8Array(body) : JSON.stringify(body) }),
      });
    } catch (error) {
      throw new ServerUnreachableError(`cannot reach Mediagate at ${this.baseUrl}: ${(error as Error).cause ?? (error as Error).message}`);
    }
    if (response.ok) return response;
    let message = `${method} ${path} answered ${response.status}`;
    let field: string | undefined;
    try {
      const parsed = (await response.json()) as { error?: { message?: string; field?: string } };
      if (parsed.error?.message) message = parsed.error.message;
      field = parsed.error?.field;
    } catch {
      // not JSON: keep the status line
    }
    if (response.status === 401) {
      message += this.#apiKey === undefined ? ' (no API key found: pass --api-key or set MEDIAGATE_API_KEY)' : ' (pass another with --api-key or MEDIAGATE_API_KEY)';
    }
    if (response.status >= 400 && response.status < 500) {
      throw new InputError(message, { status: response.status, ...(field ? { field } : {}) });
    }
    throw new Error(message);
  }
}
