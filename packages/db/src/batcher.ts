// Group commit for the hot path: calls that arrive while statements are running are sent
// together as the next one. Idle, a call goes out at once; under load, batches grow on their own.

interface Waiting<I, O> {
  input: I;
  resolve(output: O): void;
  reject(error: unknown): void;
}

export interface BatcherOptions {
  /** Most inputs in one statement. */
  maxBatch?: number;
  /** Statements running at once: 1 for a single-connection database, more for a pool. */
  parallel?: number;
}

export class Batcher<I, O> {
  readonly #run: (inputs: I[]) => Promise<O[]>;
  readonly #single: (input: I) => Promise<O>;
  readonly #maxBatch: number;
  readonly #parallel: number;
  #waiting: Waiting<I, O>[] = [];
  #running = 0;

  /**
   * `run` answers a batch in input order; `single` answers one input alone and is used when a
   * batch fails, so one bad input cannot fail the others.
   */
  constructor(run: (inputs: I[]) => Promise<O[]>, single: (input: I) => Promise<O>, options: BatcherOptions = {}) {
    this.#run = run;
    this.#single = single;
    this.#maxBatch = options.maxBatch ?? 200;
    this.#parallel = options.parallel ?? 1;
  }

  submit(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#waiting.push({ input, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#running < this.#parallel && this.#waiting.length > 0) {
      // Spread what is waiting over the free statement slots rather than filling the first.
      const share = Math.ceil(this.#waiting.length / (this.#parallel - this.#running));
      const batch = this.#waiting.splice(0, Math.min(this.#maxBatch, share));
      this.#running += 1;
      void this.#send(batch).finally(() => {
        this.#running -= 1;
        this.#pump();
      });
    }
  }

  async #send(batch: Waiting<I, O>[]): Promise<void> {
    // Through a promise, so an input that makes `single` throw synchronously still settles.
    const alone = (waiting: Waiting<I, O>) =>
      Promise.resolve()
        .then(() => this.#single(waiting.input))
        .then(waiting.resolve, waiting.reject);
    if (batch.length === 1) {
      await alone(batch[0] as Waiting<I, O>);
      return;
    }
    try {
      const outputs = await Promise.resolve().then(() => this.#run(batch.map((waiting) => waiting.input)));
      batch.forEach((waiting, index) => waiting.resolve(outputs[index] as O));
    } catch {
      await Promise.all(batch.map(alone));
    }
  }
}
