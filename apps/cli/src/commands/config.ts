// `mediagate config check`: loads the config the way every command does (--config,
// MEDIAGATE_CONFIG, ./mediagate.config.yaml), checks it against the provider registry and prints
// what it defines: providers, pools with key ids and limits (never secrets), routes, budgets.
import {
  checkConfig,
  inConfigFile,
  keysFromEnv,
  loadConfig,
  loadSettings,
  providerBaseUrls,
  staticKeys,
  type KeyDefinition,
  type LoadedConfig,
} from '@mediagate/engine';
import { ProviderRegistry, createCloudProviders, createLocalProvider, createSimulatedProvider } from '@mediagate/providers';

/** Every provider this build knows, without starting anything: enough to check names. */
function knownProviders(baseURLs: Record<string, string>): ProviderRegistry {
  return new ProviderRegistry([
    createLocalProvider(),
    createSimulatedProvider({ baseURL: baseURLs.simulated ?? 'http://127.0.0.1:1' }),
    ...createCloudProviders({ baseURLs }),
  ]);
}

function summary(loaded: LoadedConfig, keys: KeyDefinition[], baseURLs: Record<string, string>) {
  const { config } = loaded;
  const providerIds = [...new Set([...Object.keys(config.providers), ...keys.map((key) => key.provider)])];
  return {
    file: loaded.file ?? null,
    providers: providerIds.map((id) => {
      const mine = keys.filter((key) => key.provider === id);
      const pools = [...new Set(mine.map((key) => key.pool))];
      return {
        id,
        base_url: baseURLs[id] ?? null,
        pools: pools.map((pool) => ({
          name: pool,
          keys: mine.filter((key) => key.pool === pool).map((key) => ({ id: key.id, source: key.source, limits: key.limits })),
        })),
      };
    }),
    routes: Object.entries(config.routes).map(([name, route]) => ({
      name,
      strategy: route.strategy,
      targets: route.targets.map((target) => (typeof target === 'string' ? target : target.target)),
    })),
    budgets: config.budgets,
    presets: Object.keys(config.presets),
  };
}

function limitsText(limits: Record<string, number | undefined>): string {
  const parts = Object.entries(limits).filter(([, value]) => value !== undefined).map(([name, value]) => `${name} ${value}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

export async function configCheckCommand(flags: { json?: boolean }): Promise<number> {
  const settings = loadSettings();
  const loaded = loadConfig();
  const baseURLs = providerBaseUrls(settings, loaded.config);
  const registry = knownProviders(baseURLs);
  checkConfig(loaded.config, registry, loaded.file);
  const keys = inConfigFile(loaded.file, () => staticKeys(loaded.config, keysFromEnv(registry.list().map((adapter) => adapter.id))));
  const result = summary(loaded, keys, baseURLs);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ ok: true, ...result })}\n`);
    return 0;
  }
  const lines = [`config ok: ${result.file ?? 'no config file (built-in defaults)'}`];
  for (const provider of result.providers) {
    lines.push(`provider ${provider.id}${provider.base_url ? ` at ${provider.base_url}` : ''}`);
    for (const pool of provider.pools) {
      lines.push(`  pool ${pool.name}: ${pool.keys.map((key) => `${key.id}${limitsText(key.limits)}${key.source === 'env' ? ' [env]' : ''}`).join(', ')}`);
    }
  }
  for (const route of result.routes) lines.push(`route ${route.name} (${route.strategy}): ${route.targets.join(' → ')}`);
  for (const [tenant, budget] of Object.entries(result.budgets)) lines.push(`budget ${tenant}:${limitsText(budget)}`);
  if (result.presets.length) lines.push(`presets: ${result.presets.join(', ')}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
