// The built-in quality tiers: every kind has all four, each ends on its local provider, and
// every target they name exists in this build's registry (a misspelt model id fails here, not
// silently at routing time). Providers not yet in the registry are skipped until they are.
import { describe, expect, it } from 'vitest';
import { parseTarget } from '@mediagate/core';
import { ProviderRegistry, createCloudProviders, createLocalProvider } from '@mediagate/providers';
import { builtInRoutes, qualityTiers } from './tiers.ts';

const registry = new ProviderRegistry([createLocalProvider(), ...createCloudProviders()]);

describe('quality tiers', () => {
  it('cover every kind with draft, standard, high and master, ending on the local provider', () => {
    const routes = builtInRoutes();
    expect(routes.map((entry) => `${entry.kind}:${entry.tier}`)).toEqual(
      ['image', 'video', 'speech'].flatMap((kind) => qualityTiers.map((tier) => `${kind}:${tier}`)),
    );
    for (const { kind, route } of routes) {
      expect(route.lastResort).toBe({ image: 'local/card', video: 'local/motion', speech: 'local/tts' }[kind]);
      expect(registry.resolve(parseTarget(route.lastResort) ?? { provider: '', model: '' }).spec.capabilities.kind).toBe(kind);
    }
  });

  it('name only models of their kind that the registered providers have', () => {
    for (const { kind, tier, route } of builtInRoutes()) {
      for (const value of route.targets) {
        const target = parseTarget(value);
        expect(target, value).toBeDefined();
        if (target === undefined || registry.get(target.provider) === undefined) continue;
        const { spec } = registry.resolve(target);
        expect(`${kind}:${tier}:${value}:${spec.capabilities.kind}`).toBe(`${kind}:${tier}:${value}:${kind}`);
      }
    }
  });
});
