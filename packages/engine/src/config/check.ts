// Checks what the schema alone cannot: that the providers, models and routes the config names
// exist in this process's registry. Runs at start, so a typo fails then, not at first use.
import { parseTarget } from '@mediagate/core';
import type { ProviderRegistry } from '@mediagate/providers';
import { qualityTiers } from '../routing/tiers.ts';
import { ConfigError, inConfigFile } from './load.ts';
import type { MediagateConfig } from './schema.ts';

function closest(word: string, options: readonly string[]): string | undefined {
  const distance = (a: string, b: string): number => {
    const row = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
      let previous = row[0]!;
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const current = row[j]!;
        row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
        previous = current;
      }
    }
    return row[b.length]!;
  };
  const best = options.map((option) => ({ option, d: distance(word, option) })).sort((x, y) => x.d - y.d)[0];
  return best !== undefined && best.d <= Math.max(1, Math.floor(word.length / 3)) ? best.option : undefined;
}

function unknownProvider(at: string, provider: string, known: string[]): ConfigError {
  const hint = closest(provider, known);
  return new ConfigError(
    `${at}: unknown provider "${provider}"${hint ? ` (did you mean "${hint}"?)` : ''}; available: ${known.join(', ')}`,
    at,
  );
}

/** Throws a ConfigError naming the first reference to something that does not exist (and the file, when given). */
export function checkConfig(config: MediagateConfig, registry: ProviderRegistry, file?: string): void {
  inConfigFile(file, () => checkReferences(config, registry));
}

function checkReferences(config: MediagateConfig, registry: ProviderRegistry): void {
  const providers = registry.list().map((adapter) => adapter.id);
  for (const provider of Object.keys(config.providers)) {
    if (!providers.includes(provider)) throw unknownProvider(`providers.${provider}`, provider, providers);
  }
  // A preset may also name a built-in quality tier.
  const routeNames = [...Object.keys(config.routes), ...qualityTiers];
  for (const [route, spec] of Object.entries(config.routes)) {
    spec.targets.forEach((entry, index) => {
      const at = `routes.${route}.targets[${index}]`;
      const value = typeof entry === 'string' ? entry : entry.target;
      const target = parseTarget(value);
      if (target === undefined) throw new ConfigError(`${at}: "${value}" is not "provider/model"`, at);
      const adapter = registry.get(target.provider);
      if (adapter === undefined) throw unknownProvider(at, target.provider, providers);
      if (adapter.models.some((model) => model.id === target.model)) return;
      if (adapter.resolveModel) {
        // A provider that runs models outside its list (Replicate): only the name's shape is known here.
        try {
          adapter.resolveModel(target.model, 'image', at);
        } catch (error) {
          throw new ConfigError(error instanceof Error ? error.message : String(error), at);
        }
      } else {
        const models = adapter.models.map((model) => `${adapter.id}/${model.id}`);
        throw new ConfigError(`${at}: unknown model "${value}"; ${adapter.id} has: ${models.join(', ')}`, at);
      }
    });
  }
  for (const [preset, spec] of Object.entries(config.presets)) {
    if (spec.model === undefined || routeNames.includes(spec.model)) continue;
    const at = `presets.${preset}.model`;
    const target = parseTarget(spec.model);
    if (target === undefined) {
      throw new ConfigError(`${at}: "${spec.model}" is neither a route (${routeNames.join(', ') || 'none defined'}) nor "provider/model"`, at);
    }
    if (registry.get(target.provider) === undefined) throw unknownProvider(at, target.provider, providers);
  }
}
