// The routing strategies as pure functions: given a route's candidates (already checked to be
// able to run the request) and what is known about them, the order a job tries them in.
import type { Target } from '@mediagate/core';
import type { RouteStrategy } from '../config/schema.ts';

export interface Candidate {
  target: Target;
  /** Share of traffic for `weighted` (1 when the route gives none). */
  weight: number;
  /** Estimated cost of this request on this target, USD; null when its price is unknown. */
  estimateUsd: number | null;
}

/** What the fleet has observed of one target lately (see stats.ts). */
export interface Observed {
  /** Attempts in the window. */
  samples: number;
  /** Median latency of the successful ones, ms; undefined without any. */
  p50Ms: number | undefined;
  /** Succeeded ÷ samples; undefined without samples. */
  successRate: number | undefined;
}

export interface StrategyContext {
  observed(target: Target): Observed;
  /** A number in [0, 1): Math.random in service, a seeded generator in tests. */
  random(): number;
  /**
   * Below this many samples a target counts as unexplored: `fastest` and `adaptive` try it
   * first, so every target gets measured before the ranking decides.
   */
  minSamples: number;
}

function weightedPick(candidates: readonly Candidate[], random: () => number): number {
  const total = candidates.reduce((sum, candidate) => sum + candidate.weight, 0);
  let point = random() * total;
  for (const [index, candidate] of candidates.entries()) {
    point -= candidate.weight;
    if (point < 0) return index;
  }
  return candidates.length - 1;
}

/** Stable sort by `score` ascending, the unexplored first in the route's own order. */
function rankObserved(
  candidates: readonly Candidate[],
  context: StrategyContext,
  score: (observed: Observed) => number | undefined,
): Candidate[] {
  const scored = candidates.map((candidate, index) => {
    const observed = context.observed(candidate.target);
    const value = observed.samples < context.minSamples ? undefined : score(observed);
    return { candidate, index, value };
  });
  return scored
    .sort((a, b) => {
      if (a.value === undefined || b.value === undefined) {
        if (a.value === b.value) return a.index - b.index;
        return a.value === undefined ? -1 : 1;
      }
      return a.value - b.value || a.index - b.index;
    })
    .map((entry) => entry.candidate);
}

/**
 * The order to try `candidates` in. Every strategy keeps all candidates: the ones it does not
 * put first are the fallbacks. `fan-out` keeps the route's order (each target gets its own job).
 */
export function orderCandidates(strategy: RouteStrategy, candidates: readonly Candidate[], context: StrategyContext): Candidate[] {
  switch (strategy) {
    case 'fallback':
    case 'fan-out':
      return [...candidates];
    case 'weighted': {
      if (candidates.length === 0) return [];
      const chosen = weightedPick(candidates, context.random);
      return [candidates[chosen] as Candidate, ...candidates.filter((_, index) => index !== chosen)];
    }
    case 'cheapest':
      return candidates
        .map((candidate, index) => ({ candidate, index }))
        // An unknown price is not a low one: those rank after every priced target.
        .sort((a, b) => (a.candidate.estimateUsd ?? Number.POSITIVE_INFINITY) - (b.candidate.estimateUsd ?? Number.POSITIVE_INFINITY) || a.index - b.index)
        .map((entry) => entry.candidate);
    case 'fastest':
      // Unmeasured latency (explored but never succeeded) ranks last.
      return rankObserved(candidates, context, (observed) => observed.p50Ms ?? Number.POSITIVE_INFINITY);
    case 'adaptive':
      return rankObserved(candidates, context, (observed) => -(observed.successRate ?? 0));
    default:
      return strategy satisfies never;
  }
}

/** Reproducible weighted picks (tests): the shared seeded generator. */
export { seededRandom } from '@mediagate/core';
