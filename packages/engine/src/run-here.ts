// Running a job in the process that accepted it. A job gains nothing from the hop through the
// queue to a worker when the same process works that queue and has a slot free: it runs here at
// once. An entry in the runs-here ledger (here-ledger.ts) stands behind each such run, so if this
// process dies mid-run the fleet takes the job over once the entry's lease runs out, and resumes
// it from the database as it would any other.
//
// Which jobs may run here, so that none passes one already waiting in the queue, is the slot
// gate's call (apps/worker/src/slots.ts).
import { HereLedger } from './here-ledger.ts';
import type { Outcome, RunTicket, RunsHere } from './outcome.ts';
import type { FirstAttemptPlan, JobRunner, StartedFirstAttempt } from './runner.ts';
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
  readonly #ledger: HereLedger;
  /** Queue entries whose job is running here (their entries must not start it again). */
  readonly #holding = new Set<string>();
  /** Runs here, then the queue updates that follow them: what a stopping process waits for. */
  readonly #running = new Set<Promise<unknown>>();

  constructor(runtime: Runtime, runner: JobRunner, slots: SlotGate) {
    this.#runtime = runtime;
    this.#runner = runner;
    this.#slots = slots;
    // A run renews its lease every third of one, so only a process that died (or stalled for a
    // whole lock's length, as a BullMQ worker would lose its lock) hands its jobs over.
    this.#ledger = new HereLedger(runtime.redis, runtime.queues, runtime.logger, runtime.settings.lockMs);
  }

  /** Renews this process's leases and sweeps the ledger for runs whose process died. */
  start(): void {
    this.#ledger.start();
  }

  /**
   * Waits for the runs here to end (a process stopping lets them finish, as its workers do),
   * renewing their leases meanwhile, then stops the ledger's sweeps.
   */
  async drain(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
    await this.#ledger.stop();
  }

  /** Whether this process holds `entryId` (a queue job id) in a run here right now. */
  holds(entryId: string): boolean {
    return this.#holding.has(entryId);
  }

  /**
   * A slot for `payload` when this process works its queue and one is free; undefined otherwise
   * (then the caller enqueues as usual). The caller records the entry behind the run
   * (`ticket.hold()`), then starts it (`ticket.run()`), or gives the slot back (`ticket.release()`).
   */
  reserve(payload: QueuePayload, priority: number): RunTicket | undefined {
    const { provider, pool = 'default' } = payload;
    if (provider === undefined || this.#runtime.providers.get(provider) === undefined) return undefined;
    if (!this.#slots.take(provider, pool)) return undefined;
    const member = HereLedger.member({ payload, priority });
    let released = false;
    /** Picked for the job's insert and not yet handed to a run. */
    let first: FirstAttemptPlan | undefined;
    // Nothing was sent on the key of a first attempt no run took over: it goes back unused.
    const returnFirstKey = () => {
      if (first?.key !== undefined) void this.#runtime.keys.release(provider, first.key, { unused: true });
      first = undefined;
    };
    const release = () => {
      if (released) return;
      released = true;
      this.#slots.give(provider, pool);
      returnFirstKey();
    };
    return {
      hold: () => this.#ledger.hold(member),
      drop: () => this.#ledger.drop(member),
      firstAttempt: async () => {
        first = await this.#runner.firstAttempt(payload);
        return first?.attempt;
      },
      run: (started) => {
        // Without `started` the insert did not start the first attempt: the run claims the job.
        const plan = started === undefined || first === undefined ? undefined : { ...first, ...started };
        if (plan === undefined) returnFirstKey();
        else first = undefined;
        return this.#track(this.#run(payload, priority, member, release, plan));
      },
      release,
    };
  }

  async #run(payload: QueuePayload, priority: number, member: string, release: () => void, first: StartedFirstAttempt | undefined): Promise<Outcome> {
    const provider = payload.provider as string;
    const entryId = queueJobId(payload.jobId, payload.targetIndex);
    this.#holding.add(entryId);
    this.#ledger.running(member);
    let outcome: Outcome | undefined;
    try {
      outcome = await this.#runner.run(payload, Date.now(), first);
      return outcome;
    } catch (error) {
      // Never a rejection nobody handles: the job goes to the queue, as after a crash.
      this.#runtime.logger.error({ jobId: payload.jobId, err: error instanceof Error ? error.message : String(error) }, 'run here failed; the queue takes the job');
      return { type: 'delay', ms: handOverMs };
    } finally {
      this.#holding.delete(entryId);
      this.#ledger.ended(member);
      release();
      // After the answer, not before it: the entry behind the run goes, and a retry (or a run
      // that threw) goes to the queue, as after a crash.
      void this.#track(this.#handOver(provider, payload, priority, member, outcome));
    }
  }

  #track<T>(work: Promise<T>): Promise<T> {
    this.#running.add(work);
    work.finally(() => this.#running.delete(work)).catch(() => undefined);
    return work;
  }

  async #handOver(provider: string, payload: QueuePayload, priority: number, member: string, outcome: Outcome | undefined): Promise<void> {
    const { queues, logger } = this.#runtime;
    try {
      // Queued before the ledger lets go, so a crash in between leaves the job in both (a
      // duplicate entry is harmless: the runner reads the job from the database) rather than neither.
      if (outcome?.type !== 'done') await queues.enqueue(provider, payload, { delayMs: outcome?.type === 'delay' ? outcome.ms : handOverMs, priority });
      await this.#ledger.drop(member);
    } catch (error) {
      // The entry stays in the ledger; once its lease runs out a sweep queues it, and the runner
      // reads the job as it is then.
      logger.warn({ jobId: payload.jobId, err: error instanceof Error ? error.message : String(error) }, 'entry behind a run here not updated');
    }
  }
}
