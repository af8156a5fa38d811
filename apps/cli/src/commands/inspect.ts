// `mediagate jobs list|show|cancel` and `mediagate providers`: read the same views the HTTP API
// serves, from a server when one is given or running, else straight from the local database.
import { z } from 'zod';
import { NotFoundError, jobStatuses, parseInput } from '@mediagate/core';
import { describeProviders, jobView } from '@mediagate/api';
import { cancelJob, createLogger, createRuntime, defaultTenantId, type Runtime } from '@mediagate/engine';
import { clientFor, type ServerFlags } from '../server.ts';

async function withRuntime<T>(work: (runtime: Runtime) => Promise<T>): Promise<T> {
  const runtime = await createRuntime({ command: 'jobs', logger: createLogger(process.env.LOG_LEVEL ?? 'warn') });
  try {
    return await work(runtime);
  } finally {
    await runtime.close();
  }
}

type Json = ReturnType<typeof jobView>;

const listFlags = z.object({ status: z.enum(jobStatuses).optional(), limit: z.coerce.number().int().min(1).max(200) });

function print(value: unknown, json: boolean | undefined, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${human()}\n`);
}

function jobLine(job: Json): string {
  const served = job.provider ? `${job.provider}/${job.model}` : job.targets[0];
  return `${job.id}  ${job.status.padEnd(9)} ${job.kind.padEnd(6)} ${String(job.progress).padStart(3)}%  ${served}  ${job.prompt.slice(0, 50)}`;
}

export async function jobsList(flags: { status?: string; limit?: string; json?: boolean } & ServerFlags): Promise<number> {
  const client = clientFor(flags);
  const query = new URLSearchParams();
  if (flags.status) query.set('status', flags.status);
  query.set('limit', flags.limit ?? '20');
  const list = client
    ? (await client.request<{ data: Json[] }>('GET', `/v1/jobs?${query}`)).data
    : await withRuntime(async (runtime) => {
        const filter = parseInput(listFlags, { status: flags.status, limit: flags.limit ?? '20' });
        return (await runtime.repo.listJobs({ tenantId: defaultTenantId, ...filter })).map((job) => jobView(job));
      });
  print(list, flags.json, () => (list.length ? list.map(jobLine).join('\n') : 'no jobs'));
  return 0;
}

export async function jobsShow(id: string, flags: { json?: boolean } & ServerFlags): Promise<number> {
  const client = clientFor(flags);
  const job = client
    ? await client.request<Json>('GET', `/v1/jobs/${encodeURIComponent(id)}`)
    : await withRuntime(async (runtime) => {
        const found = await runtime.repo.getJob(id, defaultTenantId);
        if (found === undefined) throw new NotFoundError('job', id);
        const [attempts, outputs] = await Promise.all([runtime.repo.listAttempts(id), runtime.repo.listJobAssets(id)]);
        return jobView(found, { attempts, outputs });
      });
  print(job, flags.json, () => JSON.stringify(job, null, 2));
  return 0;
}

export async function jobsCancel(id: string, flags: { json?: boolean } & ServerFlags): Promise<number> {
  const client = clientFor(flags);
  const job = client
    ? await client.request<Json>('POST', `/v1/jobs/${encodeURIComponent(id)}/cancel`)
    : await withRuntime(async (runtime) => {
        const canceled = await cancelJob(runtime, id, defaultTenantId);
        if (canceled === undefined) throw new NotFoundError('job', id);
        return jobView(canceled);
      });
  print(job, flags.json, () => jobLine(job));
  return 0;
}

type ProviderList = Awaited<ReturnType<typeof describeProviders>>;

export async function providersCommand(flags: { json?: boolean } & ServerFlags): Promise<number> {
  const client = clientFor(flags);
  const providers: ProviderList = client
    ? (await client.request<{ data: ProviderList }>('GET', '/v1/providers')).data
    : await withRuntime((runtime) => describeProviders(runtime));
  print(providers, flags.json, () =>
    providers
      .map((provider) => {
        const keys = provider.keys.length ? provider.keys.map((key) => `${key.id}:${key.status}`).join(' ') : provider.requires_key ? 'no keys' : 'no key needed';
        const header = `${provider.id} — ${provider.name} [${provider.status}${provider.message ? `: ${provider.message}` : ''}] (${keys})`;
        const models = provider.models.map((model) => {
          const caps = model.capabilities;
          const flagsText = [caps.async ? 'async' : 'sync', caps.cancel ? 'cancel' : undefined, caps.deprecated ? 'deprecated' : undefined].filter(Boolean).join(', ');
          return `  ${model.id.padEnd(26)} ${caps.kind.padEnd(6)} ${caps.modes.join(', ')} (${flagsText})`;
        });
        return [header, ...models].join('\n');
      })
      .join('\n'),
  );
  return 0;
}
