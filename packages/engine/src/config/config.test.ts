import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderRegistry, createLocalProvider, createSimulatedProvider } from '@mediagate/providers';
import { checkConfig } from './check.ts';
import { ConfigError, loadConfig, parseConfig } from './load.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mediagate-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const example = `
providers:
  simulated:
    baseURL: http://127.0.0.1:9999
    pools:
      default:
        keys:
          - { id: main, secret: \${SIM_KEY}, limits: { rpm: 50, concurrency: 8, daily: 2000 } }
      illustration:
        keys:
          - { id: ill-1, secret: "\${SIM_KEY_ILL}", limits: { rpm: 9 } }
routes:
  image-default: { strategy: fallback, targets: [simulated/image, local/card] }
  draft: { strategy: cheapest, targets: [simulated/image, { target: local/card, weight: 2 }] }
budgets:
  default: { daily_usd: 50 }
`;

async function file(name: string, text: string): Promise<string> {
  const target = path.join(dir, name);
  await writeFile(target, text);
  return target;
}

function thrown(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const registry = new ProviderRegistry([createLocalProvider(), createSimulatedProvider({ baseURL: 'http://127.0.0.1:1' })]);

describe('config', () => {
  it('loads the example shape with env references resolved', async () => {
    const loaded = loadConfig({ file: await file('ok.yaml', example), env: { SIM_KEY: 'sk-1', SIM_KEY_ILL: 'sk-2' } });
    expect(loaded.config.providers.simulated?.pools.default?.keys[0]).toEqual({
      id: 'main',
      secret: 'sk-1',
      limits: { rpm: 50, concurrency: 8, daily: 2000 },
    });
    expect(loaded.config.providers.simulated?.pools.illustration?.keys[0]?.secret).toBe('sk-2');
    expect(loaded.config.routes.draft?.strategy).toBe('cheapest');
    expect(loaded.config.budgets.default).toEqual({ daily_usd: 50 });
    expect(() => checkConfig(loaded.config, registry)).not.toThrow();
  });

  it('fails at load on a missing env var, naming the variable and where it is used', async () => {
    const error = thrown(() => loadConfig({ file: path.join(dir, 'ok.yaml'), env: { SIM_KEY: 'x' } }));
    expect(error.message).toBe(
      `${path.join(dir, 'ok.yaml')}: providers.simulated.pools.illustration.keys[0].secret: environment variable SIM_KEY_ILL is not set`,
    );
  });

  it('names the path of a schema error and the allowed values', () => {
    expect(thrown(() => parseConfig({ routes: { draft: { strategy: 'fastes', targets: ['a/b'] } } })).message).toBe(
      'routes.draft.strategy: must be one of: fallback, weighted, cheapest, fastest, adaptive, fan-out',
    );
    expect(thrown(() => parseConfig({ routes: { draft: { targets: [] } } })).message).toBe(
      'routes.draft.targets: a route needs at least one target',
    );
    expect(thrown(() => parseConfig({ providers: { openai: { pools: { default: { keys: [{ id: 'k', secret: 's', limits: { rpm: -1 } }] } } } } })).configPath).toBe(
      'providers.openai.pools.default.keys[0].limits.rpm',
    );
    expect(thrown(() => parseConfig({ route: {} })).message).toBe('unknown field route');
  });

  it('checks providers, models and routes against the registry', () => {
    const config = parseConfig({ routes: { draft: { targets: ['local/card', 'opnai/gpt-image-1'] } } });
    expect(thrown(() => checkConfig(config, registry)).message).toBe(
      'routes.draft.targets[1]: unknown provider "opnai"; available: local, simulated',
    );
    const typo = parseConfig({ routes: { draft: { targets: ['simulatd/image'] } } });
    expect(thrown(() => checkConfig(typo, registry)).message).toContain('(did you mean "simulated"?)');
    const model = parseConfig({ routes: { draft: { targets: ['local/cards'] } } });
    expect(thrown(() => checkConfig(model, registry)).message).toMatch(/^routes\.draft\.targets\[0\]: unknown model "local\/cards"; local has: local\/card/);
    expect(thrown(() => checkConfig(parseConfig({ providers: { nope: {} } }), registry)).configPath).toBe('providers.nope');
  });

  it('reports YAML syntax errors with the line, and a named file that is missing', async () => {
    const bad = await file('bad.yaml', 'routes:\n  draft: { targets: [a/b\n');
    expect(thrown(() => loadConfig({ file: bad, env: {} })).message).toMatch(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `));
    expect(thrown(() => loadConfig({ file: path.join(dir, 'none.yaml'), env: {} })).message).toContain('cannot read the config file (ENOENT)');
  });

  it('uses MEDIAGATE_CONFIG, and the built-in defaults when no file exists', async () => {
    const named = await file('env.yaml', 'budgets: { default: { daily_usd: 5 } }\n');
    expect(loadConfig({ env: { MEDIAGATE_CONFIG: named }, cwd: dir }).config.budgets.default?.daily_usd).toBe(5);
    const empty = await mkdtemp(path.join(dir, 'empty-'));
    expect(loadConfig({ env: {}, cwd: empty })).toEqual({ config: parseConfig({}), file: undefined });
    expect(parseConfig({})).toMatchObject({ providers: {}, routes: {}, budgets: {}, presets: {} });
  });
});
