// MEDIAGATE_METRICS_TOKEN: read at start (too short or with spaces stops the start, naming it),
// and the check every /metrics applies with it.
import { describe, expect, it } from 'vitest';
import { InputError } from '@mediagate/core';
import { metricsAllowed } from './metrics.ts';
import { loadSettings } from './settings.ts';

describe('MEDIAGATE_METRICS_TOKEN', () => {
  it('is off when unset or empty, and the token otherwise', () => {
    expect(loadSettings({}).metricsToken).toBeUndefined();
    expect(loadSettings({ MEDIAGATE_METRICS_TOKEN: '' }).metricsToken).toBeUndefined();
    expect(loadSettings({ MEDIAGATE_METRICS_TOKEN: 'scrape-0123456789abcdef' }).metricsToken).toBe('scrape-0123456789abcdef');
  });

  it.each(['short', 'fifteen-chars-x', 'has a space 0123456789'])('refuses %j, naming the variable', (value) => {
    let caught: unknown;
    try {
      loadSettings({ MEDIAGATE_METRICS_TOKEN: value });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InputError);
    expect((caught as InputError).field).toBe('MEDIAGATE_METRICS_TOKEN');
    expect((caught as InputError).message).toMatch(/^MEDIAGATE_METRICS_TOKEN: use at least 16 characters and no spaces/);
  });

  it('lets every request through without a token, and only the exact bearer token with one', () => {
    expect(metricsAllowed(undefined, undefined)).toBe(true);
    expect(metricsAllowed(undefined, 'Bearer anything')).toBe(true);
    const token = 'scrape-0123456789abcdef';
    expect(metricsAllowed(token, `Bearer ${token}`)).toBe(true);
    for (const header of [undefined, '', token, `bearer ${token}`, `Bearer ${token} `, `Bearer ${token.slice(1)}`, 'Bearer scrape-0123456789abcdeF']) {
      expect(metricsAllowed(token, header)).toBe(false);
    }
  });
});
