// `mediagate generate` over budget: exit code 2 and the same one-line message the API's 402
// carries (the budget, what is left, the estimate), with nothing generated.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createCliHome, type CliHome } from './support/cli.ts';

let cli: CliHome;
let config: string;

beforeAll(async () => {
  cli = await createCliHome();
  config = path.join(cli.workDir, 'mediagate.config.yaml');
  await writeFile(
    config,
    ['budgets:', '  default: { daily_usd: 0.005 }', 'presets:', '  tiny: { kind: image, model: local/card, params: { width: 64, height: 64 } }', ''].join('\n'),
  );
});
afterAll(async () => {
  await cli?.cleanup();
});

describe('mediagate generate with a budget', () => {
  it('exits 2 with the budget, the remaining amount and the estimate when a job would overspend', async () => {
    const result = await cli.run(['generate', 'image', 'Too dear', '--provider', 'simulated/image', '-o', 'dear.png'], {
      env: { MEDIAGATE_CONFIG: config },
      timeoutMs: 120_000,
    });
    expect(result.code, result.stderr).toBe(2);
    const day = new Date().toISOString().slice(0, 10);
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      `mediagate: budget exceeded: the daily budget of $0.005 for tenant ten_default (UTC day ${day}) has $0.005 remaining, and this request is estimated at $0.01`,
    ]);
    expect(result.stdout).toBe('');

    // A free job on a preset still runs under the same budget.
    const free = await cli.run(['generate', 'image', 'Free card', '--preset', 'tiny', '--json', '-o', 'free.png'], {
      env: { MEDIAGATE_CONFIG: config },
      timeoutMs: 120_000,
    });
    expect(free.code, free.stderr).toBe(0);
    expect(JSON.parse(free.stdout)).toMatchObject({ status: 'succeeded', provider: 'local', model: 'card', width: 64, height: 64 });
  });
});
