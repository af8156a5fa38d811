// Long-running commands: `start` (api + workers in one process), `api` and `worker`.
// They stop gracefully on SIGINT/SIGTERM: in-flight attempts finish or are picked up again.
import { buildApi, ensureLocalApiKey } from '@mediagate/api';
import { createRuntime, type Runtime } from '@mediagate/engine';
import { metricsPortFromEnv, startWorkers } from '@mediagate/worker';

function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const handler = (signal: string) => resolve(signal);
    process.once('SIGINT', handler);
    process.once('SIGTERM', handler);
  });
}

/**
 * The default tenant's key in <home>/api-key, made on first start, so the CLI on this machine
 * (and a new user) can call the API at once. Only the file's path and the key's prefix are shown.
 */
async function announceLocalKey(runtime: Runtime): Promise<void> {
  const local = await ensureLocalApiKey(runtime);
  const what = local.created ? 'created an API key for the default tenant' : 'API key for the default tenant';
  runtime.logger.info({ file: local.file, prefix: local.prefix }, what);
  process.stderr.write(`mediagate: ${what} (${local.prefix}…) in ${local.file}\n`);
}

async function listen(runtime: Runtime) {
  const app = await buildApi(runtime);
  const { port, host } = runtime.settings;
  await app.listen({ port, host });
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  runtime.announce(url);
  return { app, url };
}

export async function serveCommand(mode: 'start' | 'api' | 'worker', options: { providers?: string }): Promise<number> {
  // `api` and `start` serve /metrics on the API's port; a lone worker needs a port of its own.
  const metricsPort = mode === 'worker' ? metricsPortFromEnv() : undefined;
  const runtime = await createRuntime({ command: mode });
  const closers: (() => Promise<unknown>)[] = [];
  try {
    let url: string | undefined;
    if (mode !== 'worker') {
      // A fleet's API (shared PostgreSQL) gets its keys through /v1/admin/keys instead.
      if (mode === 'start' || runtime.settings.databaseUrl === undefined) await announceLocalKey(runtime);
      const served = await listen(runtime);
      closers.push(() => served.app.close());
      url = served.url;
    }
    let consuming: string[] = [];
    let metricsUrl: string | undefined;
    if (mode !== 'api') {
      const providers = options.providers?.split(',').map((id) => id.trim()).filter(Boolean);
      const fleet = await startWorkers(runtime, { ...(providers ? { providers } : {}), ...(metricsPort !== undefined ? { metricsPort } : {}) });
      closers.unshift(() => fleet.close());
      consuming = fleet.providers;
      metricsUrl = fleet.metricsUrl;
    }
    const parts = [
      url ? `api on ${url}` : undefined,
      consuming.length ? `workers for ${consuming.join(', ')}` : undefined,
      metricsUrl ? `metrics on ${metricsUrl}/metrics` : undefined,
    ].filter(Boolean);
    runtime.logger.info({ url, providers: consuming }, `mediagate ${mode}: ${parts.join('; ')}`);
    process.stderr.write(`mediagate ${mode}: ${parts.join('; ')}\n`);
    const signal = await untilSignal();
    runtime.logger.info({ signal }, 'shutting down');
    return 0;
  } finally {
    for (const close of closers) await close().catch(() => undefined);
    await runtime.close();
  }
}
