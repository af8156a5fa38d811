// Ends the child processes a test started (worker processes, say): SIGKILL to each one still
// running, then waits for every exit, so none outlives the test that made it.
import type { ChildProcess } from 'node:child_process';

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
