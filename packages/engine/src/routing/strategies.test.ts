// Each routing strategy orders a route's candidates as documented, from fixed observations and
// a seeded random source, so every expectation here is exact.
import { describe, expect, it } from 'vitest';
import { formatTarget, type Target } from '@mediagate/core';
import { orderCandidates, seededRandom, type Candidate, type Observed, type StrategyContext } from './strategies.ts';
import { summarize } from './stats.ts';

const target = (value: string): Target => {
  const [provider = '', model = ''] = value.split('/');
  return { provider, model };
};
const candidate = (value: string, estimateUsd = 0, weight = 1): Candidate => ({ target: target(value), estimateUsd, weight });
const names = (ordered: Candidate[]) => ordered.map((entry) => formatTarget(entry.target));

function context(observed: Record<string, Partial<Observed>> = {}, random: () => number = () => 0): StrategyContext {
  return {
    observed: (t) => ({ samples: 0, p50Ms: undefined, successRate: undefined, ...observed[formatTarget(t)] }),
    random,
    minSamples: 5,
  };
}

const abc = [candidate('a/1', 0.04), candidate('b/1', 0.01), candidate('c/1', 0.02)];

describe('orderCandidates', () => {
  it('fallback and fan-out keep the route order', () => {
    expect(names(orderCandidates('fallback', abc, context()))).toEqual(['a/1', 'b/1', 'c/1']);
    expect(names(orderCandidates('fan-out', abc, context()))).toEqual(['a/1', 'b/1', 'c/1']);
  });

  it('cheapest sorts by this request\'s estimate, ties in route order', () => {
    expect(names(orderCandidates('cheapest', abc, context()))).toEqual(['b/1', 'c/1', 'a/1']);
    const tied = [candidate('x/1', 0.01), candidate('y/1', 0.005), candidate('z/1', 0.01)];
    expect(names(orderCandidates('cheapest', tied, context()))).toEqual(['y/1', 'x/1', 'z/1']);
  });

  it('fastest sorts measured targets by p50, unexplored first, never-succeeded last', () => {
    const observed = {
      'a/1': { samples: 20, p50Ms: 900, successRate: 1 },
      'b/1': { samples: 20, p50Ms: 150, successRate: 0.5 },
      'c/1': { samples: 20, p50Ms: 400, successRate: 1 },
    };
    expect(names(orderCandidates('fastest', abc, context(observed)))).toEqual(['b/1', 'c/1', 'a/1']);
    const withNew = [...abc, candidate('d/1')];
    expect(names(orderCandidates('fastest', withNew, context({ ...observed, 'd/1': { samples: 2, p50Ms: 5000 } })))).toEqual(['d/1', 'b/1', 'c/1', 'a/1']);
    const neverSucceeded = { ...observed, 'b/1': { samples: 20, p50Ms: undefined, successRate: 0 } };
    expect(names(orderCandidates('fastest', abc, context(neverSucceeded)))).toEqual(['c/1', 'a/1', 'b/1']);
  });

  it('adaptive sorts by observed success rate, unexplored first', () => {
    const observed = {
      'a/1': { samples: 50, successRate: 0.6 },
      'b/1': { samples: 50, successRate: 0.99 },
      'c/1': { samples: 3, successRate: 0 },
    };
    expect(names(orderCandidates('adaptive', abc, context(observed)))).toEqual(['c/1', 'b/1', 'a/1']);
    const measured = { ...observed, 'c/1': { samples: 10, successRate: 0.8 } };
    expect(names(orderCandidates('adaptive', abc, context(measured)))).toEqual(['b/1', 'c/1', 'a/1']);
  });

  it('weighted picks by weight with the rest as fallbacks in route order', () => {
    const weighted = [candidate('a/1', 0, 1), candidate('b/1', 0, 3)];
    // The pick falls where random() * total lands: [0, 1) is a, [1, 4) is b.
    expect(names(orderCandidates('weighted', weighted, context({}, () => 0.2)))).toEqual(['a/1', 'b/1']);
    expect(names(orderCandidates('weighted', weighted, context({}, () => 0.3)))).toEqual(['b/1', 'a/1']);

    const random = seededRandom(42);
    const firsts = new Map<string, number>();
    for (let i = 0; i < 4000; i++) {
      const first = names(orderCandidates('weighted', weighted, context({}, random)))[0] as string;
      firsts.set(first, (firsts.get(first) ?? 0) + 1);
    }
    // A quarter and three quarters; the seed makes this run the same every time.
    expect(Math.abs((firsts.get('a/1') ?? 0) / 4000 - 0.25)).toBeLessThan(0.03);
    expect(Math.abs((firsts.get('b/1') ?? 0) / 4000 - 0.75)).toBeLessThan(0.03);
  });

  it('seededRandom repeats its sequence for a seed', () => {
    const one = seededRandom(7);
    const two = seededRandom(7);
    const a = [one(), one(), one()];
    expect([two(), two(), two()]).toEqual(a);
    expect(a.every((value) => value >= 0 && value < 1)).toBe(true);
    expect(seededRandom(8)()).not.toBe(a[0]);
  });
});

describe('summarize', () => {
  it('takes the median latency of successes and the success share of all samples', () => {
    expect(summarize(['1:100', '0:5', '1:300', '1:200'])).toEqual({ samples: 4, p50Ms: 200, successRate: 0.75 });
    expect(summarize(['1:100', '1:300'])).toEqual({ samples: 2, p50Ms: 200, successRate: 1 });
    expect(summarize(['0:10'])).toEqual({ samples: 1, p50Ms: undefined, successRate: 0 });
    expect(summarize([])).toEqual({ samples: 0, p50Ms: undefined, successRate: undefined });
  });
});
