// Job events and cancel requests across processes, over Redis pub/sub. The database is the
// record (events have a gapless seq there); this is only the live feed.
import type { Redis } from 'ioredis';
import type { JobEvent } from '@mediagate/db';
import { createRedis } from './redis.ts';

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

  /** `onError` hears about live-feed failures; they never fail the caller (the database is the record). */
  constructor(publisher: Redis, redisUrl: string, prefix: string, onError: (error: unknown) => void = () => {}) {
    this.#onError = onError;
    this.#publisher = publisher;
    this.#redisUrl = redisUrl;
    this.#eventsChannel = `${prefix}:events`;
    this.#cancelChannel = `${prefix}:cancel`;
  }

  async publish(event: JobEvent | undefined): Promise<void> {
    if (event === undefined) return;
    try {
      await this.#publisher.publish(this.#eventsChannel, JSON.stringify(toMessage(event)));
    } catch (error) {
      this.#onError(error);
    }
  }

  async requestCancel(jobId: string): Promise<void> {
    await this.#publisher.publish(this.#cancelChannel, jobId);
  }

  onEvent(handler: (message: EventMessage) => void): Promise<Unsubscribe> {
    return this.#subscribe(this.#eventsChannel, (raw) => handler(JSON.parse(raw) as EventMessage));
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
