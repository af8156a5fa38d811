// Job events and cancel requests across processes, over Redis pub/sub. The database is the
// record (events have a gapless seq there); this is only the live feed.
//
// Events published in the same turn of the event loop go out as one PUBLISH: a lone event as its
// message, several as a JSON array of them, in the order they were published; onEvent hands
// subscribers one message at a time either way.
import type { Redis } from 'ioredis';
import type { JobEvent } from '@mediagate/db';
import { beforeWrite, createRedis } from './redis.ts';

export interface EventMessage {
  jobId: string;
  tenantId: string;
  seq: number;
  type: JobEvent['type'];
  data: JobEvent['data'];
  createdAt: string;
}

export function toMessage(event: JobEvent): EventMessage {
  return { ...event, createdAt: event.createdAt.toISOString() };
}

type Unsubscribe = () => Promise<void>;

export class EventBus {
  readonly #publisher: Redis;
  readonly #redisUrl: string;
  readonly #eventsChannel: string;
  readonly #cancelChannel: string;

  readonly #onError: (error: unknown) => void;
  /** This turn's events, and the PUBLISH that will carry them. */
  #pending: { messages: string[]; published: Promise<void> } | undefined;

  /** `onError` hears about live-feed failures; they never fail the caller (the database is the record). */
  constructor(publisher: Redis, redisUrl: string, prefix: string, onError: (error: unknown) => void = () => {}) {
    this.#onError = onError;
    this.#publisher = publisher;
    this.#redisUrl = redisUrl;
    this.#eventsChannel = `${prefix}:events`;
    this.#cancelChannel = `${prefix}:cancel`;
  }

  /** Resolves once the event's PUBLISH is answered; a failure goes to `onError`, never to the caller. */
  publish(event: JobEvent | undefined): Promise<void> {
    if (event === undefined) return Promise.resolve();
    let message: string;
    try {
      message = JSON.stringify(toMessage(event));
    } catch (error) {
      this.#onError(error);
      return Promise.resolve();
    }
    if (this.#pending !== undefined) {
      this.#pending.messages.push(message);
      return this.#pending.published;
    }
    const messages = [message];
    const published = new Promise<void>((resolve) =>
      beforeWrite(this.#publisher, () => {
        this.#pending = undefined;
        // Messages are JSON objects: a lone one goes as it is, several as an array of them.
        const payload = messages.length === 1 ? message : `[${messages.join(',')}]`;
        this.#publisher.publish(this.#eventsChannel, payload).then(
          () => resolve(),
          (error: unknown) => {
            this.#onError(error);
            resolve();
          },
        );
      }),
    );
    this.#pending = { messages, published };
    return published;
  }

  async requestCancel(jobId: string): Promise<void> {
    await this.#publisher.publish(this.#cancelChannel, jobId);
  }

  onEvent(handler: (message: EventMessage) => void): Promise<Unsubscribe> {
    return this.#subscribe(this.#eventsChannel, (raw) => {
      const parsed = JSON.parse(raw) as EventMessage | EventMessage[];
      if (!Array.isArray(parsed)) handler(parsed);
      else for (const message of parsed) handler(message);
    });
  }

  onCancel(handler: (jobId: string) => void): Promise<Unsubscribe> {
    return this.#subscribe(this.#cancelChannel, handler);
  }

  async #subscribe(channel: string, handler: (raw: string) => void): Promise<Unsubscribe> {
    const subscriber = createRedis(this.#redisUrl);
    subscriber.on('message', (received: string, raw: string) => {
      if (received === channel) handler(raw);
    });
    await subscriber.subscribe(channel);
    return async () => {
      await subscriber.quit().catch(() => subscriber.disconnect());
    };
  }
}
