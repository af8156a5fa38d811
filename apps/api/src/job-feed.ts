// One job's events in seq order with no gaps and no repeats, merged from the database (the
// record) and the live feed (fast, but it can drop or reorder messages).
import type { EventMessage } from '@mediagate/engine';

/** Event types after which a job has nothing more to say. */
const terminalTypes: ReadonlySet<string> = new Set(['succeeded', 'failed', 'canceled']);

export function isTerminalEvent(message: Pick<EventMessage, 'type'>): boolean {
  return terminalTypes.has(message.type);
}

export interface JobFeedOptions {
  /** The last seq the client already has. */
  afterSeq: number;
  /** Reads the job's events with seq > afterSeq from the database, in order. */
  load(afterSeq: number): Promise<EventMessage[]>;
  deliver(message: EventMessage): void;
  /** Called once, right after the terminal event is delivered. */
  onTerminal(): void;
  onError(error: unknown): void;
}

export class JobFeed {
  readonly #options: JobFeedOptions;
  #lastSeq: number;
  /** Live messages that arrived during a database read or ahead of a gap. */
  #pending: EventMessage[] = [];
  /** Live messages wait until the replay has been delivered. */
  #started = false;
  #loading = false;
  #done = false;

  constructor(options: JobFeedOptions) {
    this.#options = options;
    this.#lastSeq = options.afterSeq;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Delivers the replay read from the database, then whatever the live feed buffered meanwhile. */
  start(replay: readonly EventMessage[]): void {
    this.#started = true;
    this.#deliverInOrder(replay);
    this.#drainPending();
  }

  /** A message from the live feed. The next seq goes out at once; anything else waits or is dropped. */
  offer(message: EventMessage): void {
    if (this.#done || message.seq <= this.#lastSeq) return;
    if (!this.#started || this.#loading || message.seq !== this.#lastSeq + 1) {
      this.#pending.push(message);
      // A gap: the missing message was lost or is late; the database has it already.
      if (this.#started && !this.#loading) void this.catchUp();
      return;
    }
    this.#emit(message);
    if (this.#pending.length > 0) this.#drainPending();
  }

  /** Reads the database for events the live feed did not bring (also the idle safety net). */
  async catchUp(): Promise<void> {
    if (!this.#started || this.#loading || this.#done) return;
    this.#loading = true;
    try {
      this.#deliverInOrder(await this.#options.load(this.#lastSeq));
    } catch (error) {
      this.#options.onError(error);
    } finally {
      this.#loading = false;
    }
    this.#drainPending();
  }

  #deliverInOrder(messages: readonly EventMessage[]): void {
    for (const message of messages) {
      if (this.#done) return;
      if (message.seq === this.#lastSeq + 1) this.#emit(message);
    }
  }

  /** Sends buffered messages that continue the sequence; the rest stay until the gap is filled. */
  #drainPending(): void {
    if (this.#loading) return;
    const pending = this.#pending.sort((a, b) => a.seq - b.seq);
    this.#pending = [];
    for (const [index, message] of pending.entries()) {
      if (this.#done) return;
      if (message.seq <= this.#lastSeq) continue;
      if (message.seq !== this.#lastSeq + 1) {
        this.#pending = pending.slice(index);
        return;
      }
      this.#emit(message);
    }
  }

  #emit(message: EventMessage): void {
    this.#lastSeq = message.seq;
    this.#options.deliver(message);
    if (isTerminalEvent(message)) {
      this.#done = true;
      this.#pending = [];
      this.#options.onTerminal();
    }
  }
}
