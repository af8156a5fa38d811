// `mediagate generate` without --server: this process enqueues the job and runs a worker for it,
// sharing Redis with any other workers, then copies the stored output to the asked path.
import { isTerminal, type GenerationRequestInput, type JobStatus } from '@mediagate/core';
import {
  cancelJob,
  createLogger,
  createRuntime,
  defaultTenantId,
  importImageFile,
  planJob,
  probeImageFile,
  queueJobId,
  refuseFanOut,
  submitJob,
  type Runtime,
} from '@mediagate/engine';
import { assetView, jobView } from '@mediagate/api';
import { startWorkers, type WorkerFleet } from '@mediagate/worker';
import type { JobRecord } from '@mediagate/db';
import type { ProgressDisplay } from '../progress.ts';
import { saveResult, type GenerateResult } from '../result.ts';

/**
 * Why the worker gave up on the job's current queue entry without recording an outcome, if it
 * did: then the database will never say the job finished, and waiting longer would hang.
 */
async function abandonedReason(runtime: Runtime, job: JobRecord): Promise<string | undefined> {
  const target = job.targets[job.targetIndex];
  if (target === undefined) return undefined;
  const entry = await runtime.queues.queue(target.provider).getJob(queueJobId(job.id, job.targetIndex));
  if (entry === undefined || !(await entry.isFailed())) return undefined;
  const reason = (entry.failedReason || 'unknown error').split('\n')[0] ?? '';
  return reason.length > 200 ? `${reason.slice(0, 200)}…` : reason;
}

async function waitForTerminal(runtime: Runtime, jobId: string, progress: ProgressDisplay): Promise<JobRecord> {
  let resolveDone: (() => void) | undefined;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  const terminalTypes = new Set(['succeeded', 'failed', 'canceled']);
  const unsubscribe = await runtime.bus.onEvent((message) => {
    if (message.jobId !== jobId) return;
    if (typeof message.data.progress === 'number') progress.update(message.data.progress, message.type);
    else progress.update(-1, message.type);
    if (terminalTypes.has(message.type)) resolveDone?.();
  });
  try {
    // The live feed is best-effort; the database is the record, so check it too.
    for (;;) {
      const job = await runtime.repo.getJob(jobId);
      if (job === undefined) throw new Error(`job ${jobId} disappeared`);
      if (isTerminal(job.status as JobStatus)) return job;
      const reason = await abandonedReason(runtime, job);
      if (reason !== undefined) {
        const again = await runtime.repo.getJob(jobId);
        if (again !== undefined && isTerminal(again.status as JobStatus)) return again;
        throw new Error(`job ${jobId} was abandoned by its worker and stays ${job.status}: ${reason}`);
      }
      await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 1000))]);
    }
  } finally {
    await unsubscribe();
  }
}

export async function generateLocal(
  request: GenerationRequestInput,
  options: { image?: string; mask?: string; output?: string },
  progress: ProgressDisplay,
): Promise<GenerateResult> {
  const runtime = await createRuntime({ command: 'generate', logger: createLogger(process.env.LOG_LEVEL ?? 'warn') });
  let jobId: string | undefined;
  let fleet: WorkerFleet | undefined;
  let interrupted = false;
  // Ctrl-C cancels the job, and lets the in-process worker stop the provider's work, before exiting.
  const stop = async () => {
    if (jobId !== undefined) {
      await cancelJob(runtime, jobId).catch(() => undefined);
      fleet?.runner.cancelRunning(jobId);
      await Promise.race([fleet?.close(), new Promise((resolve) => setTimeout(resolve, 5000))]);
    }
    process.exit(130);
  };
  const onInterrupt = () => {
    interrupted = true;
    void stop();
  };
  process.once('SIGINT', onInterrupt);
  try {
    const image = options.image === undefined ? undefined : await probeImageFile(options.image);
    const mask = options.mask === undefined ? undefined : await probeImageFile(options.mask, 'mask');
    // Validate everything before anything is stored or enqueued.
    const plan = await planJob(runtime, defaultTenantId, request, image ? [image] : [], mask);
    // This command follows one job: a fan-out route, one job per target, is refused here too.
    refuseFanOut(plan);
    const input = { ...request };
    if (options.image !== undefined) input.image_asset_ids = [(await importImageFile(runtime, defaultTenantId, options.image)).id];
    if (options.mask !== undefined) input.mask_asset_id = (await importImageFile(runtime, defaultTenantId, options.mask)).id;
    const providers = [...new Set(plan.targets.map((target) => target.provider))];
    fleet = await startWorkers(runtime, { providers });
    try {
      const job = await submitJob(runtime, defaultTenantId, input);
      jobId = job.id;
      if (interrupted) await stop();
      const finished = await waitForTerminal(runtime, job.id, progress);
      progress.stop();
      const assets = await runtime.repo.listJobAssets(job.id);
      return await saveResult({ ...jobView(finished), outputs: assets.map(assetView) }, options.output, async (asset) => {
        const record = assets.find((candidate) => candidate.id === asset.id);
        if (record === undefined) throw new Error(`asset ${asset.id} vanished`);
        return runtime.store.createReadStream(record.storageKey);
      });
    } finally {
      await fleet.close();
    }
  } finally {
    process.off('SIGINT', onInterrupt);
    progress.stop();
    await runtime.close();
  }
}
