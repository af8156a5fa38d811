// Readiness: whether this process can serve work right now, i.e. Redis and the database both
// answer within a short time. Liveness (/healthz) says only that the process is up.
import type { Runtime } from '@mediagate/engine';

export type CheckName = 'redis' | 'database';
export type CheckResult = 'ok' | 'timeout' | 'failed';

export interface Readiness {
  ready: boolean;
  checks: Record<CheckName, CheckResult>;
  /** Why each failing check failed, for the log (never sent to clients: it may name hosts). */
  errors: Partial<Record<CheckName, string>>;
}

class CheckTimeout extends Error {}

async function withTimeout(probe: () => Promise<unknown>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new CheckTimeout(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([probe(), expired]);
  } finally {
    clearTimeout(timer);
  }
}

export async function checkReadiness(runtime: Runtime, timeoutMs = 1000): Promise<Readiness> {
  const probes: Record<CheckName, () => Promise<unknown>> = {
    // The shared client queues commands while disconnected (BullMQ needs that), so a dead Redis
    // shows up as a PING that never answers: the timeout is what turns it into a failure.
    redis: () => runtime.redis.ping(),
    // A primary-key lookup for an id that never exists: a real round trip that reads nothing.
    database: () => runtime.repo.getJob('job_readiness_probe'),
  };
  const names = Object.keys(probes) as CheckName[];
  const outcomes = await Promise.allSettled(names.map((name) => withTimeout(probes[name], timeoutMs)));
  const readiness: Readiness = { ready: true, checks: { redis: 'ok', database: 'ok' }, errors: {} };
  outcomes.forEach((outcome, index) => {
    const name = names[index] as CheckName;
    if (outcome.status === 'fulfilled') return;
    readiness.ready = false;
    readiness.checks[name] = outcome.reason instanceof CheckTimeout ? 'timeout' : 'failed';
    readiness.errors[name] = outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason);
  });
  return readiness;
}
