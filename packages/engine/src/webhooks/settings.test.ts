// MEDIAGATE_WEBHOOK_* parsing: the default schedule, the units accepted, and errors naming the variable.
import { describe, expect, it } from 'vitest';
import { InputError } from '@mediagate/core';
import { loadWebhookSettings, parseRetryDelays } from './settings.ts';

describe('webhook settings', () => {
  it('defaults to the Standard Webhooks schedule: at once, then 5 s up to 24 h, 15 s per attempt', () => {
    const settings = loadWebhookSettings({});
    expect(settings.retryDelaysMs).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 50_400_000, 72_000_000, 86_400_000]);
    expect(settings.timeoutMs).toBe(15_000);
    expect(settings.pollMs).toBe(1000);
  });

  it('reads units, bare milliseconds and an empty schedule (no retries)', () => {
    expect(parseRetryDelays('X', '250, 2s,1m,1h,1d')).toEqual([250, 2000, 60_000, 3_600_000, 86_400_000]);
    expect(loadWebhookSettings({ MEDIAGATE_WEBHOOK_RETRY_DELAYS: '' }).retryDelaysMs).toEqual([]);
  });

  it('names the variable and the allowed forms for bad values', () => {
    expect(() => loadWebhookSettings({ MEDIAGATE_WEBHOOK_RETRY_DELAYS: '5s,soon' })).toThrow(
      new InputError('MEDIAGATE_WEBHOOK_RETRY_DELAYS: "soon" is not a delay like 500ms, 5s, 5m, 2h or 1d (at most 7d each)', {
        field: 'MEDIAGATE_WEBHOOK_RETRY_DELAYS',
      }),
    );
    expect(() => loadWebhookSettings({ MEDIAGATE_WEBHOOK_RETRY_DELAYS: '8d' })).toThrow(/at most 7d/);
    expect(() => loadWebhookSettings({ MEDIAGATE_WEBHOOK_TIMEOUT_MS: '50' })).toThrow(/MEDIAGATE_WEBHOOK_TIMEOUT_MS: "50" is not a whole number ≥ 100/);
  });
});
