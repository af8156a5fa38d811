// The config file from the command line: `mediagate config check` validates and summarizes it
// (key ids, never secrets); a bad one is one line naming the file and the path inside it, exit 2;
// a missing ${VAR} stops any command at start, naming the variable.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCliHome, type CliHome } from './support/cli.ts';

let cli: CliHome;
beforeAll(async () => {
  cli = await createCliHome();
});
afterAll(async () => {
  await cli?.cleanup();
});

const good = `
providers:
  simulated:
    baseURL: http://127.0.0.1:9/v1
    pools:
      default:
        keys:
          - { id: main, secret: \${CFG_MAIN_SECRET}, limits: { rpm: 50, concurrency: 8, daily: 2000 } }
      illustration:
        keys:
          - { id: ill-1, secret: "\${CFG_ILL_SECRET}", limits: { rpm: 9 } }
routes:
  draft: { strategy: fallback, targets: [simulated/image, local/card] }
budgets:
  default: { daily_usd: 50 }
`;

async function write(name: string, text: string): Promise<string> {
  const file = path.join(cli.workDir, name);
  await writeFile(file, text);
  return file;
}

const secrets = { CFG_MAIN_SECRET: 'sk-main-very-secret', CFG_ILL_SECRET: 'sk-ill-very-secret' };

describe('mediagate config check', () => {
  it('prints providers, pools with key ids and limits, routes and budgets — never a secret', async () => {
    const file = await write('good.yaml', good);
    const result = await cli.run(['config', 'check', '--config', file], { env: { ...secrets, MEDIAGATE_KEYS_SIMULATED: 'envkey=sk-env-very-secret' } });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')).toEqual([
      `config ok: ${file}`,
      'provider simulated at http://127.0.0.1:9/v1',
      '  pool default: main (rpm 50, concurrency 8, daily 2000), envkey [env]',
      '  pool illustration: ill-1 (rpm 9)',
      'route draft (fallback): simulated/image → local/card',
      'budget default: (daily_usd 50)',
      '',
    ]);
    expect(result.stdout).not.toContain('very-secret');
  });

  it('answers JSON, and finds the file through MEDIAGATE_CONFIG or ./mediagate.config.yaml', async () => {
    const file = await write('env.yaml', good);
    const viaEnv = await cli.run(['config', 'check', '--json'], { env: { ...secrets, MEDIAGATE_CONFIG: file } });
    expect(viaEnv.code).toBe(0);
    const summary = JSON.parse(viaEnv.stdout) as { ok: boolean; file: string; providers: { id: string; pools: { name: string; keys: { id: string }[] }[] }[] };
    expect(summary.ok).toBe(true);
    expect(summary.file).toBe(file);
    expect(summary.providers[0]?.pools.map((pool) => [pool.name, pool.keys.map((key) => key.id)])).toEqual([
      ['default', ['main']],
      ['illustration', ['ill-1']],
    ]);
    expect(viaEnv.stdout).not.toContain('very-secret');

    await write('mediagate.config.yaml', 'budgets: { default: { daily_usd: 5 } }\n');
    const local = await cli.run(['config', 'check'], { env: { MEDIAGATE_CONFIG: '' } });
    expect(local.code).toBe(0);
    expect(local.stdout).toContain(`config ok: ${path.join(cli.workDir, 'mediagate.config.yaml')}`);
    expect(local.stdout).toContain('budget default: (daily_usd 5)');
  });

  it('names the file and the path of what is wrong, in one line, exit 2', async () => {
    const cases: [string, string][] = [
      [good.replace('local/card', 'opnai/gpt-image-1'), 'routes.draft.targets[1]: unknown provider "opnai" (did you mean "openai"?)'],
      [good.replace('strategy: fallback', 'strategy: fastes'), 'routes.draft.strategy: must be one of: fallback, weighted, cheapest, fastest, adaptive, fan-out'],
      [good.replace('rpm: 9', 'rpm: -9'), 'providers.simulated.pools.illustration.keys[0].limits.rpm'],
      [good.replace('id: ill-1', 'id: main'), 'providers.simulated.pools.illustration.keys[0]: key id "main" is already used by providers.simulated.pools.default.keys[0]'],
    ];
    for (const [index, [text, expected]] of cases.entries()) {
      const file = await write(`bad-${index}.yaml`, text);
      const result = await cli.run(['config', 'check', '--config', file], { env: secrets });
      expect(result.code, expected).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr.trimEnd().split('\n'), expected).toHaveLength(1);
      expect(result.stderr, expected).toContain(`mediagate: ${file}: `);
      expect(result.stderr, expected).toContain(expected);
    }
  });
});

describe('a config that references a missing environment variable', () => {
  it('stops any command at start, naming the variable and where it is used', async () => {
    const file = await write('missing.yaml', good);
    for (const args of [['config', 'check', '--config', file], ['worker', '--config', file], ['--config', file, 'jobs', 'list']]) {
      const result = await cli.run(args, { env: { CFG_MAIN_SECRET: 'x' }, timeoutMs: 60_000 });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toBe(
        `mediagate: ${file}: providers.simulated.pools.illustration.keys[0].secret: environment variable CFG_ILL_SECRET is not set\n`,
      );
    }
  });
});

describe('generate with a fan-out route from the config', () => {
  it('refuses it as bad input before anything is stored: generate follows one job, a fan-out makes one per target', async () => {
    const file = await write('fan-out.yaml', 'routes:\n  both: { strategy: fan-out, targets: [local/card, simulated/image] }\n');
    const result = await cli.run(['generate', 'image', 'two of them', '--config', file, '--provider', 'both', '-o', 'both.png'], { timeoutMs: 60_000 });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('mediagate: model: "both" is a fan-out route, which makes one job per target');
    const listed = await cli.run(['jobs', 'list', '--json'], { timeoutMs: 60_000 });
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([]);
  });
});
