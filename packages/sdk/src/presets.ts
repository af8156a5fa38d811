// `client.presets`: named bundles of a model (a route or "provider/model") and default params
// that a job names with `preset`. The tenant's own are made here; config-file ones are read-only.
import type { HttpClient } from './http.ts';
import type { PresetInput, PresetView } from './types.ts';

type Signal = { signal?: AbortSignal };

const presetPath = (name: string) => `/v1/presets/${encodeURIComponent(name)}`;

export class Presets {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  /** Every preset the tenant can name (its own and the config file's), by name, with stats. */
  async list(options: Signal = {}): Promise<PresetView[]> {
    return (await this.#http.json<{ data: PresetView[] }>('/v1/presets', { signal: options.signal })).data;
  }

  get(name: string, options: Signal = {}): Promise<PresetView> {
    return this.#http.json<PresetView>(presetPath(name), { signal: options.signal });
  }

  /** Makes a new preset; MediagateConflictError when the tenant already has one of that name. */
  create(name: string, preset: PresetInput, options: Signal = {}): Promise<PresetView> {
    return this.#http.json<PresetView>('/v1/presets', { method: 'POST', body: { ...preset, name }, signal: options.signal });
  }

  /** Creates or replaces the tenant's preset `name` (one named like a config preset takes its place). */
  async put(name: string, preset: PresetInput, options: Signal = {}): Promise<{ preset: PresetView; created: boolean }> {
    const { status, body } = await this.#http.jsonWithStatus<PresetView>(presetPath(name), { method: 'PUT', body: preset, signal: options.signal });
    return { preset: body, created: status === 201 };
  }

  /** Deletes the tenant's preset; a config-file preset is a MediagateConflictError (`read_only`). */
  delete(name: string, options: Signal = {}): Promise<void> {
    return this.#http.empty(presetPath(name), { method: 'DELETE', signal: options.signal });
  }
}
