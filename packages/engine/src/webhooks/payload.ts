// The body of a webhook: `{ type, timestamp, data }` per Standard Webhooks, `data` being the job
// exactly as GET /v1/jobs/:id shows it (attempts and outputs included).
import type { WebhookDeliveryRecord } from '@mediagate/db';
import type { Runtime } from '../runtime.ts';
import { jobView } from '../views.ts';

/** The JSON text to send; undefined when the job no longer exists (deleted before delivery). */
export async function buildWebhookBody(runtime: Runtime, delivery: WebhookDeliveryRecord): Promise<string | undefined> {
  const job = await runtime.repo.getJob(delivery.jobId, delivery.tenantId);
  if (job === undefined) return undefined;
  const [attempts, outputs] = await Promise.all([runtime.repo.listAttempts(job.id), runtime.repo.listJobAssets(job.id)]);
  return JSON.stringify({
    type: delivery.eventType,
    // When the event happened (the job ended), not when this attempt is made.
    timestamp: (job.finishedAt ?? delivery.createdAt).toISOString(),
    data: jobView(job, { attempts, outputs }),
  });
}
