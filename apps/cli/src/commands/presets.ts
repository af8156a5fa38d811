// `mediagate presets list [--json]`: the presets a job can name (the tenant's own and the config
// file's) with how their jobs ended, as GET /v1/presets answers them — from the server when one
// is given or running, else from this machine's database (the default tenant).
import { createLogger, createRuntime, defaultTenantId, listPresetViews } from '@mediagate/engine';
import type { PresetView } from '@mediagate/sdk';
import { clientFor, type ServerFlags } from '../server.ts';

async function localPresets(): Promise<PresetView[]> {
  const runtime = await createRuntime({ command: 'presets', logger: createLogger(process.env.LOG_LEVEL ?? 'warn') });
  try {
    return await listPresetViews(runtime, defaultTenantId);
  } finally {
    await runtime.close();
  }
}

function line(preset: PresetView): string {
  const { succeeded, failed, canceled, success_rate: rate } = preset.stats;
  const runs = succeeded + failed + canceled;
  const outcome = runs === 0 ? 'no jobs yet' : `${runs} jobs${rate === null ? '' : `, ${Math.round(rate * 100)}% succeeded`}`;
  const params = Object.keys(preset.params).length > 0 ? ` ${JSON.stringify(preset.params)}` : '';
  return `${preset.name}  [${preset.source}] ${preset.kind ?? 'any kind'} → ${preset.model ?? 'default model'}${params}  (${outcome})${preset.description ? `  ${preset.description}` : ''}`;
}

export async function presetsList(flags: { json?: boolean } & ServerFlags): Promise<number> {
  const client = clientFor(flags);
  const presets = client ? (await client.request<{ data: PresetView[] }>('GET', '/v1/presets')).data : await localPresets();
  process.stdout.write(flags.json ? `${JSON.stringify(presets)}\n` : `${presets.length > 0 ? presets.map(line).join('\n') : 'no presets'}\n`);
  return 0;
}
