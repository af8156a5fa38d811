// Turns a request's `model` into the ordered targets its job tries: a route name (from the
// config, else a built-in quality tier) is expanded, checked target by target against the
// request, ordered by the route's strategy and stripped of providers whose circuit is open;
// "provider/model" (with `fallbacks`) is taken as written and every target must fit.
import {
  InputError,
  formatTarget,
  parseTarget,
  type GenerationRequest,
  type JobKind,
  type Target,
} from '@mediagate/core';
import { validateAgainstCapabilities, type CostEstimate, type ImageInput } from '@mediagate/providers';
import { checkImageLinks } from '../asset-links.ts';
import type { RouteStrategy } from '../config/schema.ts';
import type { ProviderInputs } from '../inputs.ts';
import type { Runtime } from '../runtime.ts';
import { defaultTargets, toProviderRequest } from '../targets.ts';
import { routing } from './routing.ts';
import { orderCandidates, type Candidate } from './strategies.ts';
import { builtInRoute, isQualityTier, qualityTiers } from './tiers.ts';

export interface RoutePlan {
  /** The route the request named; undefined for "provider/model" or the kind's default. */
  route: string | undefined;
  strategy: RouteStrategy | undefined;
  /** In the order the job tries them (for fan-out: one job each). */
  targets: Target[];
  /** The request's estimate on each target, same order. */
  estimates: CostEstimate[];
  fanOut: boolean;
}

interface RouteSpec {
  strategy: RouteStrategy;
  targets: { target: string; weight: number }[];
  /** Built-in tiers only: left out when unregistered or keyless, rather than an error. */
  optional: boolean;
  lastResort: string | undefined;
}

/** Route names a request of `kind` may name: the config's, then the built-in tiers. */
export function routeNames(runtime: Runtime): string[] {
  return [...new Set([...Object.keys(runtime.config.routes), ...qualityTiers])];
}

function findRoute(runtime: Runtime, kind: JobKind, name: string): RouteSpec | undefined {
  const configured = runtime.config.routes[name];
  if (configured !== undefined) {
    return {
      strategy: configured.strategy,
      targets: configured.targets.map((entry) =>
        typeof entry === 'string' ? { target: entry, weight: 1 } : { target: entry.target, weight: entry.weight ?? 1 },
      ),
      optional: false,
      lastResort: undefined,
    };
  }
  if (!isQualityTier(name)) return undefined;
  const tier = builtInRoute(kind, name);
  return { strategy: tier.strategy, targets: tier.targets.map((target) => ({ target, weight: 1 })), optional: true, lastResort: tier.lastResort };
}

function unknownModel(runtime: Runtime, value: string): InputError {
  const routes = routeNames(runtime);
  const targets = runtime.providers.targets();
  return new InputError(
    `model: "${value}" is neither a route (${routes.join(', ')}) nor a "provider/model" this server has (${targets.join(', ')})`,
    { field: 'model', allowed: [...routes, ...targets] },
  );
}

/** Checks `target` against the request (throws InputError naming `field`) and prices it. */
function fit(runtime: Runtime, request: GenerationRequest, images: ImageInput[], target: Target, field: string, inputs: ProviderInputs = {}): CostEstimate {
  const { adapter, spec } = runtime.providers.resolve(target, field, request.kind);
  const providerRequest = toProviderRequest(request, target, images, inputs);
  validateAgainstCapabilities(adapter.id, spec, providerRequest);
  checkImageLinks(runtime.settings, target, spec, providerRequest.images.length);
  adapter.validate?.(providerRequest);
  return spec.estimate(providerRequest);
}

function strictTarget(runtime: Runtime, value: string, field: string): Target {
  const target = parseTarget(value);
  if (target === undefined) {
    const targets = runtime.providers.targets();
    throw new InputError(`${field}: "${value}" is not "provider/model"; available: ${targets.join(', ')}`, { field, allowed: targets });
  }
  return target;
}

/** Whether a built-in tier should offer `provider`: it needs no key, or one is configured and enabled. */
function keyAvailable(runtime: Runtime, provider: string): boolean {
  const adapter = runtime.providers.get(provider);
  if (adapter === undefined) return false;
  if (!adapter.requiresKey) return true;
  return runtime.keys.all(provider).some((key) => !key.disabled);
}

async function routeCandidates(
  runtime: Runtime,
  request: GenerationRequest,
  images: ImageInput[],
  name: string,
  spec: RouteSpec,
  inputs: ProviderInputs = {},
): Promise<Map<Candidate, CostEstimate>> {
  const candidates = new Map<Candidate, CostEstimate>();
  const refusals: { target: string; error: InputError }[] = [];
  for (const entry of spec.targets) {
    const target = parseTarget(entry.target);
    if (target === undefined) continue;
    const adapter = runtime.providers.get(target.provider);
    if (spec.optional && (adapter === undefined || !adapter.models.some((model) => model.id === target.model))) continue;
    if (spec.optional && !keyAvailable(runtime, target.provider)) continue;
    try {
      const estimate = fit(runtime, request, images, target, 'model', inputs);
      candidates.set({ target, weight: entry.weight, estimateUsd: estimate.usd }, estimate);
    } catch (error) {
      // A target that cannot run this request is not a candidate; the others may.
      if (!(error instanceof InputError)) throw error;
      refusals.push({ target: entry.target, error });
    }
  }
  if (candidates.size > 0 || spec.lastResort !== undefined) return candidates;
  const reasons = refusals.map((refusal) => `${refusal.target}: ${refusal.error.message}`).join('; ');
  throw new InputError(`model: no target of route "${name}" can run this request (${reasons || 'none is available'})`, {
    field: refusals[0]?.error.field ?? 'model',
  });
}

/**
 * The cheap part of planRoute, before any image is fetched: every name the request uses (route,
 * provider, model, fallbacks) exists. Throws InputError naming the field and the valid names.
 */
export function checkModelNames(runtime: Runtime, request: GenerationRequest): void {
  const model = request.model;
  if (model !== undefined) {
    if (!model.includes('/')) {
      if (findRoute(runtime, request.kind, model) === undefined) throw unknownModel(runtime, model);
    } else {
      runtime.providers.resolve(strictTarget(runtime, model, 'model'), 'model', request.kind);
    }
  }
  (request.fallbacks ?? []).forEach((value, index) => {
    const field = `fallbacks[${index}]`;
    runtime.providers.resolve(strictTarget(runtime, value, field), field, request.kind);
  });
}

/** Resolves and orders the request's targets; throws InputError (naming the field) on bad input. */
export async function planRoute(runtime: Runtime, request: GenerationRequest, images: ImageInput[], inputs: ProviderInputs = {}): Promise<RoutePlan> {
  const fallbacks = (request.fallbacks ?? []).map((value, index) => strictTarget(runtime, value, `fallbacks[${index}]`));
  const fallbackFields = fallbacks.map((_, index) => `fallbacks[${index}]`);
  const model = request.model;
  const spec = model === undefined || model.includes('/') ? undefined : findRoute(runtime, request.kind, model);
  if (spec === undefined || model === undefined) {
    if (model !== undefined && !model.includes('/')) throw unknownModel(runtime, model);
    const first = model === undefined ? defaultTargets[request.kind] : strictTarget(runtime, model, 'model');
    const targets = [first, ...fallbacks];
    const fields = ['model', ...fallbackFields];
    const estimates = targets.map((target, index) => fit(runtime, request, images, target, fields[index] ?? 'model', inputs));
    return { route: undefined, strategy: undefined, targets, estimates, fanOut: false };
  }

  if (spec.strategy === 'fan-out' && fallbacks.length > 0) {
    throw new InputError(`fallbacks: route "${model}" fans out to every target at once; it takes no fallbacks`, { field: 'fallbacks' });
  }
  const { breakers, stats } = routing(runtime);
  const priced = await routeCandidates(runtime, request, images, model, spec, inputs);
  const candidates = [...priced.keys()];
  const needsStats = spec.strategy === 'fastest' || spec.strategy === 'adaptive';
  const observed = needsStats ? await stats.observe(candidates.map((candidate) => candidate.target)) : new Map();
  let ordered = orderCandidates(spec.strategy, candidates, {
    observed: (target) => observed.get(formatTarget(target)) ?? { samples: 0, p50Ms: undefined, successRate: undefined },
    random: routing(runtime).random,
    minSamples: runtime.config.routing.min_samples,
  });
  if (spec.strategy !== 'fan-out') {
    // Skip providers whose circuit is open; when every one is, keep them all rather than none.
    const states = await Promise.all(ordered.map((candidate) => breakers.state(candidate.target.provider)));
    const closed = ordered.filter((_, index) => states[index] !== 'open');
    if (closed.length > 0) ordered = closed;
  }
  const targets = ordered.map((candidate) => candidate.target);
  const estimates = ordered.map((candidate) => priced.get(candidate) ?? { usd: candidate.estimateUsd, basis: 'estimate' });
  if (spec.lastResort !== undefined && spec.strategy !== 'fan-out') {
    const last = parseTarget(spec.lastResort) as Target;
    if (!targets.some((target) => formatTarget(target) === spec.lastResort)) {
      estimates.push(fit(runtime, request, images, last, 'model', inputs));
      targets.push(last);
    }
  }
  const seen = new Set(targets.map(formatTarget));
  for (const [index, target] of fallbacks.entries()) {
    if (seen.has(formatTarget(target))) continue;
    estimates.push(fit(runtime, request, images, target, fallbackFields[index] ?? 'fallbacks', inputs));
    targets.push(target);
  }
  return { route: model, strategy: spec.strategy, targets, estimates, fanOut: spec.strategy === 'fan-out' };
}
