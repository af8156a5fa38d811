// Never pay twice: a worker killed with SIGKILL while an async provider works is replaced, and
// the new worker resumes polling the stored handle instead of submitting again.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from './support/harness.ts';
import { killChildren, workerEnv } from './support/children.ts';
import { until } from './support/until.ts';

const cli = fileURLToPath(new URL('../apps/cli/bin/mediagate.js', import.meta.url));
let harness: Harness;
const children: ChildProcess[] = [];

function startWorker(extraEnv: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, [cli, 'worker', '--providers', 'simulated'], {
    env: workerEnv(harness, { MEDIAGATE_LOCK_MS: '1000', ...extraEnv }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  return child;
}

beforeAll(async () => {
  harness = await createHarness({ workers: false });
});

// Each test owns its workers: a survivor of the previous test would take the next job.
afterEach(() => killChildren(children));
afterAll(async () => {
  await killChildren(children);
  await harness?.close();
});

describe('a worker killed mid-job', () => {
  it('is resumed by a new worker with exactly one submit to the provider', async () => {
    const prompt = `crash test ${Date.now()}`;
    const first = startWorker();
    const job = await harness.submit({ kind: 'image', prompt, model: 'simulated/image-async', params: { simulate: { latency_ms: 4000 } } });
    await until(async () => (await harness.events(job.id)).some((event) => event.type === 'submitted'), 30_000, 'the submit', 25);
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    expect((await harness.runtime.repo.getJob(job.id))?.status).toBe('running');

    startWorker();
    const done = await harness.waitFor(job.id, 60_000);
    expect(done.status).toBe('succeeded');
    expect(harness.simulated.stats().byPrompt[prompt]).toBe(1);
    const attempts = await harness.runtime.repo.listAttempts(job.id);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]?.status).toBe('succeeded');
    expect(await harness.runtime.repo.listJobAssets(job.id)).toHaveLength(1);
  });

  it('marks a crash between send and handle as ambiguous and, by default, does not resubmit', async () => {
    // A submit that never answers: the worker dies with the request sent and no handle stored.
    const prompt = `ambiguous ${Date.now()}`;
    const first = startWorker();
    const job = await harness.submit({ kind: 'image', prompt, model: 'simulated/image-async', params: { simulate: { fault: 'timeout' } } });
    await until(async () => harness.simulated.stats().byPrompt[prompt] === 1, 30_000, 'the submit', 25);
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));

    startWorker();
    const done = await harness.waitFor(job.id, 60_000);
    expect(done.status).toBe('failed');
    expect(done.error?.class).toBe('ambiguous_submit');
    expect(harness.simulated.stats().byPrompt[prompt]).toBe(1);
    expect((await harness.runtime.repo.listAttempts(job.id))[0]?.status).toBe('ambiguous');
  });
});
