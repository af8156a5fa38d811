// The set of providers a process knows, and resolution of "provider/model" to an adapter and
// model spec with errors that list what exists.
import { InputError, formatTarget, type JobKind, type Target } from '@mediagate/core';
import type { ModelSpec, ProviderAdapter } from './contract.ts';

export interface ResolvedTarget {
  adapter: ProviderAdapter;
  spec: ModelSpec;
  target: Target;
}

export class ProviderRegistry {
  readonly #adapters = new Map<string, ProviderAdapter>();

  constructor(adapters: Iterable<ProviderAdapter> = []) {
    for (const adapter of adapters) this.add(adapter);
  }

  add(adapter: ProviderAdapter): void {
    this.#adapters.set(adapter.id, adapter);
  }

  get(id: string): ProviderAdapter | undefined {
    return this.#adapters.get(id);
  }

  list(): ProviderAdapter[] {
    return [...this.#adapters.values()];
  }

  /** Every "provider/model" this registry can serve. */
  targets(): string[] {
    return this.list().flatMap((adapter) => adapter.models.map((spec) => `${adapter.id}/${spec.id}`));
  }

  /**
   * The adapter and model spec for `target`. A model outside the adapter's list resolves through
   * its resolveModel (Replicate's any model) as `kind`; without a kind only the name is checked
   * and the spec answers as an image model.
   */
  resolve(target: Target, field = 'model', kind?: JobKind): ResolvedTarget {
    const adapter = this.#adapters.get(target.provider);
    if (adapter === undefined) {
      const known = this.list().map((a) => a.id);
      throw new InputError(`${field}: unknown provider "${target.provider}"; available: ${known.join(', ')}`, {
        field,
        allowed: known,
      });
    }
    const listed = adapter.models.find((model) => model.id === target.model);
    const spec = listed ?? adapter.resolveModel?.(target.model, kind ?? 'image', field);
    if (spec === undefined) {
      const models = adapter.models.map((model) => `${adapter.id}/${model.id}`);
      throw new InputError(`${field}: unknown model "${formatTarget(target)}"; ${adapter.id} has: ${models.join(', ')}`, {
        field,
        allowed: models,
      });
    }
    return { adapter, spec, target };
  }
}
