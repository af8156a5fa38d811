// Running a job in the process that accepted it. A caller that waits for its job (the
// OpenAI-compatible routes) gains nothing from the hop through the queue to a worker when the
// same process works that queue and has a slot free: the job runs here at once. A delayed queue
// entry stands behind each such run, so if this process dies mid-run the fleet takes the job
// over once that entry comes due, and resumes it from the database as it would any other.
import type { Outcome, RunTicket, RunsHere } from './outcome.ts';
import type { JobRunner } from './runner.ts';
import { queueJobId, type QueuePayload } from './queues.ts';
import type { Runtime } from './runtime.ts';

/** When the queue takes over a run here that failed inside Mediagate. */
const handOverMs = 2000;

/** The worker slots of the queues this process works; a run here takes one of them. */
export interface SlotGate {
  /** Takes a slot of `provider`'s `pool` queue if one is free and this process works that queue. */
  take(provider: string, pool: string): boolean;
  give(provider: string, pool: string): void;
}

export class RunHere implements RunsHere {
  readonly #runtime: Runtime;
  readonly #runner: JobRunner;
  readonly #slots: SlotGate;
  /** Queue entries whose job is running here (their entries must not start it again). */
  readonly #holding = new Set<string>();
  /** Runs here, then the queue updates that follow them: what a stopping process waits for. */
  readonly #running = new Set<Promise<unknown>>();

  constructor(runtime: Runtime, runner: JobRunner, slots: SlotGate) {
    this.#runtime = runtime;
    this.#runner = runner;
    this.#slots = slots;
  }

  /** Waits for the runs here to end (a process stopping lets them finish, as its workers do). */
  async drain(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  /** Whether this process holds `entryId` (a queue job id) in a run here right now. */
  holds(entryId: string): boolean {
    return this.#holding.has(entryId);
  }

  /**
   * A slot for `payload` when this process works its queue and one is free; undefined otherwise
   * (then the caller enqueues as usual). The caller stores the entry behind the run
   * (`ticket.enqueue()`), then starts it (`ticket.run()`), or gives the slot back (`ticket.release()`).
   */
  reserve(payload: QueuePayload, priority: number): RunTicket | undefined {
    const { provider, pool = 'default' } = payload;
    if (provider === undefined) return undefined;
    const adapter = this.#runtime.providers.get(provider);
    if (adapter === undefined || !this.#slots.take(provider, pool)) return undefined;
    const limitMs = this.#runtime.settings.attemptTimeoutMs ?? adapter.attemptTimeoutMs;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.#slots.give(provider, pool);
    };
    return {
      // Due once the attempt's own time limit and a lock's length have passed: by then the run
      // here has ended, unless this process died.
      enqueue: () => this.#runtime.queues.enqueue(provider, payload, { priority, delayMs: limitMs + this.#runtime.settings.lockMs }),
      run: () => this.#track(this.#run(payload, priority, release)),
      release,
    };
  }

  async #run(payload: QueuePayload, priority: number, release: () => void): Promise<Outcome> {
    const provider = payload.provider as string;
    const entryId = queueJobId(payload.jobId, payload.targetIndex);
    this.#holding.add(entryId);
    let outcome: Outcome | undefined;
    try {
      outcome = await this.#runner.run(payload);
      return outcome;
    } catch (error) {
      // Never a rejection nobody handles: the job goes to the queue, as after a crash.
      this.#runtime.logger.error({ jobId: payload.jobId, err: error instanceof Error ? error.message : String(error) }, 'run here failed; the queue takes the job');
      return { type: 'delay', ms: handOverMs };
    } finally {
      this.#holding.delete(entryId);
      release();
      // After the answer, not before it: the entry behind the run goes (the job is done here) or
      // becomes the retry. A run that threw leaves the job to the queue soon, as after a crash.
      void this.#track(this.#handOver(provider, payload, priority, outcome));
    }
  }

  #track<T>(work: Promise<T>): Promise<T> {
    this.#running.add(work);
    work.finally(() => this.#running.delete(work)).catch(() => undefined);
    return work;
  }

  async #handOver(provider: string, payload: QueuePayload, priority: number, outcome: Outcome | undefined): Promise<void> {
    const { queues, logger } = this.#runtime;
    try {
      if (outcome?.type === 'done') await queues.remove(provider, payload.jobId, payload.targetIndex, payload.pool);
      else await queues.reschedule(provider, payload, { delayMs: outcome?.type === 'delay' ? outcome.ms : handOverMs, priority });
    } catch (error) {
      // The entry still comes due at its first time, and the runner reads the job as it is then.
      logger.warn({ jobId: payload.jobId, err: error instanceof Error ? error.message : String(error) }, 'queue entry behind a run here not updated');
    }
  }
}
