// Per-key rate limits and counters of the simulated provider: enforces rpm, concurrency and a
// daily cap like a real provider, and records what tests need to prove limits were respected.

export interface KeyLimits {
  /** Submits per (time-scaled) minute, sliding window. */
  rpm?: number;
  /** Sync requests being answered plus async operations not yet finished. */
  concurrency?: number;
  /** Submits per (time-scaled) day: 1440 minutes. */
  daily?: number;
}

export interface KeyStats {
  /** POST /v1/generate received with this key, whatever the answer. */
  submits: number;
  /** Submits admitted past auth and limits (these would cost money). */
  accepted: number;
  /** 429s answered to this key, by limits or by the rate_limit fault. */
  rateLimited: number;
  inFlight: number;
  /** Highest `inFlight` ever reached. */
  maxConcurrency: number;
  /** Most submits received in any sliding window of one minute (admitted or not). */
  maxSubmitsPerWindow: number;
  /** Submits received per fixed minute since start or reset: index 0 is the first minute. */
  submitsPerWindow: number[];
}

/** Timestamps in arrival order with cheap removal from the front. */
class TimeQueue {
  private items: number[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(time: number): void {
    this.items.push(time);
  }

  oldest(): number | undefined {
    return this.items[this.head];
  }

  dropBefore(cutoff: number): void {
    while (this.head < this.items.length && (this.items[this.head] ?? Infinity) <= cutoff) this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}

export type Admission =
  | { ok: true; remaining: number | undefined }
  | { ok: false; reason: 'rpm' | 'concurrency' | 'daily'; retryAfterMs: number; remaining: number };

const maxWindows = 10_000;

export class KeyState {
  readonly stats: KeyStats = {
    submits: 0,
    accepted: 0,
    rateLimited: 0,
    inFlight: 0,
    maxConcurrency: 0,
    maxSubmitsPerWindow: 0,
    submitsPerWindow: [],
  };
  private readonly admitted = new TimeQueue();
  private readonly received = new TimeQueue();
  private dayStart: number | undefined;
  private dayCount = 0;

  constructor(
    readonly limits: KeyLimits,
    private readonly minuteMs: number,
    private readonly epoch: number,
  ) {}

  /** Counts a submit as received, before any decision on it. */
  countSubmit(now: number): void {
    this.stats.submits++;
    this.received.push(now);
    this.received.dropBefore(now - this.minuteMs);
    this.stats.maxSubmitsPerWindow = Math.max(this.stats.maxSubmitsPerWindow, this.received.size);
    const window = Math.floor((now - this.epoch) / this.minuteMs);
    if (window < maxWindows) {
      const counts = this.stats.submitsPerWindow;
      while (counts.length <= window) counts.push(0);
      counts[window] = (counts[window] ?? 0) + 1;
    }
  }

  /** Decides whether a submit may start; on success it is counted against rpm, daily and concurrency. */
  admit(now: number): Admission {
    const { rpm, concurrency, daily } = this.limits;
    this.admitted.dropBefore(now - this.minuteMs);
    const dayMs = this.minuteMs * 1440;
    if (this.dayStart === undefined || now - this.dayStart >= dayMs) {
      this.dayStart = now;
      this.dayCount = 0;
    }
    const remaining = rpm === undefined ? undefined : Math.max(0, rpm - this.admitted.size);
    if (rpm !== undefined && this.admitted.size >= rpm) {
      const oldest = this.admitted.oldest() ?? now;
      return { ok: false, reason: 'rpm', retryAfterMs: Math.max(1, oldest + this.minuteMs - now), remaining: 0 };
    }
    if (daily !== undefined && this.dayCount >= daily) {
      return { ok: false, reason: 'daily', retryAfterMs: Math.max(1, this.dayStart + dayMs - now), remaining: remaining ?? 0 };
    }
    if (concurrency !== undefined && this.stats.inFlight >= concurrency) {
      // A slot frees when some work finishes; suggest a scaled second, as providers do.
      return { ok: false, reason: 'concurrency', retryAfterMs: Math.max(1, Math.round(this.minuteMs / 60)), remaining: remaining ?? 0 };
    }
    this.admitted.push(now);
    this.dayCount++;
    this.stats.accepted++;
    this.acquire();
    return { ok: true, remaining: remaining === undefined ? undefined : remaining - 1 };
  }

  acquire(): void {
    this.stats.inFlight++;
    this.stats.maxConcurrency = Math.max(this.stats.maxConcurrency, this.stats.inFlight);
  }

  release(): void {
    this.stats.inFlight = Math.max(0, this.stats.inFlight - 1);
  }

  snapshot(): KeyStats {
    return { ...this.stats, submitsPerWindow: [...this.stats.submitsPerWindow] };
  }
}
