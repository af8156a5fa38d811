// Group commit for the hot path: calls that arrive while a statement is running are sent
// together as the next one. Idle, a call goes out at once; under load, batches grow on their own.

interface Waiting<I, O> {
  input: I;
  resolve(output: O): void;
  reject(error: unknown): void;
}

export class Batcher<I, O> {
  readonly #run: (inputs: I[]) => Promise<O[]>;
  readonly #single: (input: I) => Promise<O>;
  readonly #maxBatch: number;
  #waiting: Waiting<I, O>[] = [];
  #flushing = false;

  /**
   * `run` answers a batch in input order; `single` answers one input alone and is used when a
   * batch fails, so one bad input cannot fail the others.
   */
  constructor(run: (inputs: I[]) => Promise<O[]>, single: (input: I) => Promise<O>, maxBatch = 200) {
    this.#run = run;
    this.#single = single;
    this.#maxBatch = maxBatch;
  }

  submit(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#waiting.push({ input, resolve, reject });
      if (!this.#flushing) void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#waiting.length > 0) {
        const batch = this.#waiting.splice(0, this.#maxBatch);
        if (batch.length === 1) {
          const [only] = batch as [Waiting<I, O>];
          await this.#single(only.input).then(only.resolve, only.reject);
          continue;
        }
        try {
          const outputs = await this.#run(batch.map((waiting) => waiting.input));
          batch.forEach((waiting, index) => waiting.resolve(outputs[index] as O));
        } catch {
          await Promise.all(batch.map((waiting) => this.#single(waiting.input).then(waiting.resolve, waiting.reject)));
        }
      }
    } finally {
      this.#flushing = false;
    }
  }
}
