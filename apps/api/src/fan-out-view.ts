// The answer to a job request on a fan-out route: one job per target under one batch, each
// saying its target, so every result can be told apart (GET /v1/jobs?batch_id=… lists them later).
import type { JobRecord } from '@mediagate/db';
import { jobView } from './views.ts';

export function fanOutView(fanOut: { batchId: string; route: string; jobs: JobRecord[] }) {
  return {
    object: 'fan_out' as const,
    batch_id: fanOut.batchId,
    route: fanOut.route,
    jobs: fanOut.jobs.map((job) => ({ target: job.targets.map((target) => `${target.provider}/${target.model}`)[0] ?? null, ...jobView(job) })),
  };
}
