// A CallContext for driving an adapter directly in its unit tests, and a poll loop that follows an
// async operation to the end the way the worker does (without its retries).
import os from 'node:os';
import type { CallContext, JsonValue, PollResult, ProviderAdapter, ProviderKey, ProgressUpdate } from '@mediagate/providers';

export function callContext(key: ProviderKey | undefined, signal: AbortSignal = new AbortController().signal): CallContext & { updates: ProgressUpdate[] } {
  const updates: ProgressUpdate[] = [];
  return { signal, key, tmpDir: os.tmpdir(), progress: (update) => updates.push(update), updates };
}

/** Polls until completion; returns every pending answer seen and the final one. */
export async function pollToEnd(adapter: ProviderAdapter, operation: JsonValue, ctx: CallContext, timeoutMs = 20_000): Promise<{ pending: PollResult[]; done: PollResult }> {
  const pending: PollResult[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!adapter.poll) throw new Error(`${adapter.id} has no poll`);
    const result = await adapter.poll(operation, ctx);
    if (result.status === 'completed') return { pending, done: result };
    pending.push(result);
    if (Date.now() > deadline) throw new Error(`operation still pending after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, adapter.pollIntervalMs ?? 50));
  }
}
