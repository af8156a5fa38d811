// Runs in every worker process: the relay that moves webhook messages from the database outbox
// into the BullMQ queue "<prefix>.webhooks", and the Worker that delivers them. The queue entry
// id is the message id, so processes relaying the same message at once add it only once.
import { DelayedError, Queue, Worker, type JobsOptions } from 'bullmq';
import { createGuardedFetch } from '@mediagate/providers';
import { createRedis } from '../redis.ts';
import type { Runtime } from '../runtime.ts';
import { deliverWebhook } from './deliver.ts';

export interface WebhookQueuePayload {
  deliveryId: string;
}

export function webhookQueueName(prefix: string): string {
  return `${prefix}.webhooks`;
}

export interface WebhookDelivery {
  /** One relay pass now: enqueues messages no queue holds yet; returns how many. */
  relay(): Promise<number>;
  close(): Promise<void>;
}

/** A message enqueued this long past its due time (its entry was lost, e.g. Redis was flushed) is enqueued again. */
const overdueMs = 10 * 60_000;
const relayBatch = 200;
/** Largest receiver answer read (only a snippet of an error body is kept). */
const maxAnswerBytes = 64 * 1024;

const entryOptions: JobsOptions = {
  // Kept an hour, so a late relay of a finished message is a no-op rather than a second send.
  removeOnComplete: { age: 3600 },
  // Removed at once, so the relay can enqueue a message whose entry failed for our own reasons.
  removeOnFail: true,
  // Retries live in deliverWebhook; these only cover a worker that could not record an outcome.
  attempts: 5,
  backoff: { type: 'exponential', delay: 2000 },
};

export async function startWebhookDelivery(runtime: Runtime): Promise<WebhookDelivery> {
  const { settings, logger, repo } = runtime;
  const name = webhookQueueName(settings.queuePrefix);
  const queue = new Queue<WebhookQueuePayload>(name, { connection: runtime.queues.connection });
  // Webhook URLs are the tenant's say-so: the URL guard checks every one at connect time.
  const fetcher = createGuardedFetch({ allow: settings.fetchAllow, maxBytes: maxAnswerBytes, timeoutMs: settings.webhooks.timeoutMs, maxRedirects: 0 });
  const connection = createRedis(settings.redisUrl);
  const worker = new Worker<WebhookQueuePayload>(
    name,
    async (entry, token) => {
      const result = await deliverWebhook(runtime, fetcher, entry.data.deliveryId);
      if (result.type === 'retry') {
        // BullMQ's delayed set holds the wait: no worker slot, and it survives restarts.
        await entry.moveToDelayed(Date.now() + result.delayMs, token);
        throw new DelayedError();
      }
    },
    {
      connection,
      concurrency: settings.webhooks.concurrency,
      // An attempt is bounded by the timeout; the lock outlives it comfortably.
      lockDuration: Math.max(30_000, settings.webhooks.timeoutMs * 2),
      maxStalledCount: 1000,
    },
  );
  worker.on('failed', (entry, error) => logger.error({ deliveryId: entry?.data.deliveryId, err: error.message }, 'webhook worker error'));
  worker.on('error', (error) => logger.error({ err: error.message }, 'webhook queue error'));

  async function relay(): Promise<number> {
    const due = await repo.webhooks.listUnqueued(relayBatch, overdueMs);
    if (due.length === 0) return 0;
    const now = Date.now();
    await queue.addBulk(
      due.map((delivery) => ({
        name: 'deliver',
        data: { deliveryId: delivery.id },
        opts: { ...entryOptions, jobId: delivery.id, delay: Math.max(0, (delivery.nextAttemptAt?.getTime() ?? now) - now) },
      })),
    );
    await repo.webhooks.markEnqueued(due.map((delivery) => delivery.id));
    return due.length;
  }

  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  const loop = () => {
    if (stopped) return;
    running = relay()
      // A full batch means more are waiting: go on at once.
      .then((count) => (count === relayBatch ? 0 : settings.webhooks.pollMs))
      .catch((error: unknown) => {
        logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'webhook relay pass failed');
        return settings.webhooks.pollMs;
      })
      .then((waitMs) => {
        if (!stopped) timer = setTimeout(loop, waitMs);
      });
  };
  await worker.waitUntilReady();
  loop();

  return {
    relay,
    async close() {
      stopped = true;
      clearTimeout(timer);
      await running.catch(() => undefined);
      await worker.close();
      await queue.close();
      await connection.quit().catch(() => connection.disconnect());
      await fetcher.close();
    },
  };
}

/** Deletes the delivery queue of this prefix with its entries (tests and benchmarks clean up with it). */
export async function obliterateWebhookQueue(runtime: Runtime): Promise<void> {
  const queue = new Queue<WebhookQueuePayload>(webhookQueueName(runtime.settings.queuePrefix), { connection: runtime.queues.connection });
  try {
    await queue.obliterate({ force: true });
  } finally {
    await queue.close();
  }
}
