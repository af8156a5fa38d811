// Provider keys as this process sees them: which is usable now, which is cooling down after a
// 429, which is disabled after an auth failure. Fleet-wide limits build on this later.
import type { ProviderKey } from '@mediagate/providers';

interface KeyState {
  key: ProviderKey;
  coolUntil: number;
  disabled: string | undefined;
  inFlight: number;
}

export type KeyChoice =
  | { type: 'key'; key: ProviderKey }
  /** The provider needs no key, or none is configured: call without one. */
  | { type: 'none' }
  /** Every key is cooling down: try again at `at`. */
  | { type: 'wait'; at: number }
  /** Every key is disabled. */
  | { type: 'exhausted'; reason: string };

export class KeyPool {
  readonly #states = new Map<string, KeyState[]>();

  constructor(keys: Map<string, ProviderKey[]>) {
    for (const [provider, list] of keys) {
      this.#states.set(
        provider,
        list.map((key) => ({ key, coolUntil: 0, disabled: undefined, inFlight: 0 })),
      );
    }
  }

  /** Least-loaded usable key. */
  choose(provider: string, now = Date.now()): KeyChoice {
    const states = this.#states.get(provider);
    if (states === undefined || states.length === 0) return { type: 'none' };
    const enabled = states.filter((state) => state.disabled === undefined);
    if (enabled.length === 0) return { type: 'exhausted', reason: states.map((s) => `${s.key.id}: ${s.disabled}`).join('; ') };
    const ready = enabled.filter((state) => state.coolUntil <= now);
    if (ready.length === 0) return { type: 'wait', at: Math.min(...enabled.map((state) => state.coolUntil)) };
    const best = ready.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
    return { type: 'key', key: best.key };
  }

  #state(provider: string, keyId: string): KeyState | undefined {
    return this.#states.get(provider)?.find((state) => state.key.id === keyId);
  }

  /** The key with this id, e.g. to resume polling with the key that submitted. */
  find(provider: string, keyId: string): ProviderKey | undefined {
    return this.#state(provider, keyId)?.key;
  }

  acquire(provider: string, keyId: string): void {
    const state = this.#state(provider, keyId);
    if (state) state.inFlight += 1;
  }

  release(provider: string, keyId: string): void {
    const state = this.#state(provider, keyId);
    if (state) state.inFlight = Math.max(0, state.inFlight - 1);
  }

  coolDown(provider: string, keyId: string, untilMs: number): void {
    const state = this.#state(provider, keyId);
    if (state) state.coolUntil = Math.max(state.coolUntil, untilMs);
  }

  disable(provider: string, keyId: string, reason: string): void {
    const state = this.#state(provider, keyId);
    if (state) state.disabled = reason;
  }

  /** Ids and status of every key, for `mediagate providers`; never the secret. */
  describe(provider: string, now = Date.now()): { id: string; status: 'active' | 'rate_limited' | 'error' }[] {
    return (this.#states.get(provider) ?? []).map((state) => ({
      id: state.key.id,
      status: state.disabled !== undefined ? 'error' : state.coolUntil > now ? 'rate_limited' : 'active',
    }));
  }
}
