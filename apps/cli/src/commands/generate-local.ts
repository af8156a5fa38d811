// `mediagate generate` without --server: this process enqueues the job and runs a worker for it,
// sharing Redis with any other workers, then copies the stored output to the asked path.
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
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
  submitJob,
  type Runtime,
} from '@mediagate/engine';
import { startWorkers } from '@mediagate/worker';
import type { JobRecord } from '@mediagate/db';
import type { ProgressDisplay } from '../progress.ts';
import { defaultOutputName, outputPath, type GenerateResult } from '../result.ts';

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
  options: { image?: string; output?: string },
  progress: ProgressDisplay,
): Promise<GenerateResult> {
  const runtime = await createRuntime({ command: 'generate', logger: createLogger(process.env.LOG_LEVEL ?? 'warn') });
  let jobId: string | undefined;
  const onInterrupt = () => {
    if (jobId) void cancelJob(runtime, jobId).finally(() => process.exit(130));
    else process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  try {
    const image = options.image === undefined ? undefined : await probeImageFile(options.image);
    // Validate everything before anything is stored or enqueued.
    const plan = await planJob(runtime, defaultTenantId, request, image ? [image] : []);
    const input = { ...request };
    if (options.image !== undefined) input.image_asset_ids = [(await importImageFile(runtime, defaultTenantId, options.image)).id];
    const providers = [...new Set(plan.targets.map((target) => target.provider))];
    const fleet = await startWorkers(runtime, { providers });
    try {
      const job = await submitJob(runtime, defaultTenantId, input);
      jobId = job.id;
      const finished = await waitForTerminal(runtime, job.id, progress);
      progress.stop();
      const assets = await runtime.repo.listJobAssets(job.id);
      const outputs = [];
      for (const [index, asset] of assets.entries()) {
        const target = outputPath(options.output ?? defaultOutputName(job.id, asset.mime), index);
        await pipeline(runtime.store.createReadStream(asset.storageKey), createWriteStream(target));
        outputs.push({
          path: target,
          bytes: asset.size,
          mime: asset.mime,
          width: asset.width,
          height: asset.height,
          duration: asset.durationMs === null ? null : asset.durationMs / 1000,
        });
      }
      return {
        jobId: finished.id,
        status: finished.status,
        provider: finished.provider,
        model: finished.model,
        outputs,
        cost: finished.actualCostUsd ?? finished.estimatedCostUsd,
        error: finished.error,
      };
    } finally {
      await fleet.close();
    }
  } finally {
    process.off('SIGINT', onInterrupt);
    progress.stop();
    await runtime.close();
  }
}
