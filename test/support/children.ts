// Child processes of a test: the environment that makes a `mediagate worker` join a harness's
// deployment, and ending them: SIGKILL to each one still running, then waits for every exit, so
// none outlives the test that made it.
import type { ChildProcess } from 'node:child_process';
import type { Harness } from './harness.ts';

/** Kills and awaits every child in the list, and empties it. */
export async function killChildren(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.splice(0).map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

/**
 * The environment of a `mediagate worker` process working for `harness`: its database, Redis,
 * home, queue prefix and simulated provider, warnings only on stderr; `extra` on top.
 */
export function workerEnv(harness: Harness, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_URL: harness.databaseUrl,
    REDIS_URL: harness.settings.redisUrl,
    MEDIAGATE_HOME: harness.settings.home,
    MEDIAGATE_QUEUE_PREFIX: harness.settings.queuePrefix,
    MEDIAGATE_SIMULATED_URL: harness.simulated.url,
    LOG_LEVEL: 'warn',
    ...extra,
  };
}
