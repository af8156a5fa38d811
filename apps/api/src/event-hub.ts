// Fans the Redis live event feed out to this process's SSE clients: one subscription per
// process, however many clients watch, with listeners looked up by job id or by tenant.
import type { EventBus, EventMessage } from '@mediagate/engine';

export type EventListener = (message: EventMessage) => void;
type Unsubscribe = () => Promise<void>;

export interface EventHubStats {
  /** Whether the Redis subscription has been opened (it is opened by the first listener). */
  subscribed: boolean;
  jobListeners: number;
  tenantListeners: number;
}

export class EventHub {
  readonly #bus: Pick<EventBus, 'onEvent'>;
  readonly #onError: (error: unknown) => void;
  readonly #byJob = new Map<string, Set<EventListener>>();
  readonly #byTenant = new Map<string, Set<EventListener>>();
  #subscription: Promise<Unsubscribe> | undefined;
  #closed = false;

  /** `onError` hears about listeners that threw; one bad listener never starves the others. */
  constructor(bus: Pick<EventBus, 'onEvent'>, onError: (error: unknown) => void = () => {}) {
    this.#bus = bus;
    this.#onError = onError;
  }

  /**
   * Calls `listener` with every live event of `jobId`. Resolves once the Redis subscription is
   * confirmed, so whatever the database shows after that moment cannot be missed by the feed.
   */
  listenToJob(jobId: string, listener: EventListener): Promise<() => void> {
    return this.#add(this.#byJob, jobId, listener);
  }

  /** Calls `listener` with every live event of every job of `tenantId`. */
  listenToTenant(tenantId: string, listener: EventListener): Promise<() => void> {
    return this.#add(this.#byTenant, tenantId, listener);
  }

  stats(): EventHubStats {
    const count = (map: Map<string, Set<EventListener>>) => [...map.values()].reduce((sum, set) => sum + set.size, 0);
    return { subscribed: this.#subscription !== undefined, jobListeners: count(this.#byJob), tenantListeners: count(this.#byTenant) };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#byJob.clear();
    this.#byTenant.clear();
    const subscription = this.#subscription;
    this.#subscription = undefined;
    if (subscription !== undefined) await (await subscription.catch(() => async () => {}))();
  }

  async #add(map: Map<string, Set<EventListener>>, key: string, listener: EventListener): Promise<() => void> {
    if (this.#closed) throw new Error('event hub is closed');
    let listeners = map.get(key);
    if (listeners === undefined) {
      listeners = new Set();
      map.set(key, listeners);
    }
    listeners.add(listener);
    const remove = () => {
      const current = map.get(key);
      if (current === undefined) return;
      current.delete(listener);
      if (current.size === 0) map.delete(key);
    };
    try {
      await this.#subscribed();
    } catch (error) {
      remove();
      throw error;
    }
    return remove;
  }

  #subscribed(): Promise<Unsubscribe> {
    if (this.#subscription === undefined) {
      const subscription = this.#bus.onEvent((message) => this.#dispatch(message));
      this.#subscription = subscription;
      // A failed subscribe (Redis down) is retried by the next listener, not cached forever.
      subscription.catch(() => {
        if (this.#subscription === subscription) this.#subscription = undefined;
      });
    }
    return this.#subscription;
  }

  #dispatch(message: EventMessage): void {
    // Copies: a listener may remove itself (its stream ended on a terminal event) mid-loop.
    for (const listener of [...(this.#byJob.get(message.jobId) ?? [])]) this.#call(listener, message);
    for (const listener of [...(this.#byTenant.get(message.tenantId) ?? [])]) this.#call(listener, message);
  }

  #call(listener: EventListener, message: EventMessage): void {
    try {
      listener(message);
    } catch (error) {
      this.#onError(error);
    }
  }
}
