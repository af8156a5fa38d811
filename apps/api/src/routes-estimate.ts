// POST /v1/estimate: what a job request would cost on the model (or route) it names and on every
// other registered model able to run it, and what the tenant's budget has left, without writing
// or sending anything.
import type { FastifyInstance } from 'fastify';
import { InputError } from '@mediagate/core';
import { budgetStatus, checkImageLinks, planJob, toProviderRequest, type Runtime } from '@mediagate/engine';
import { validateAgainstCapabilities } from '@mediagate/providers';
import { jobRequestBody, tenantOf } from './routes-jobs.ts';

export interface PricedModel {
  provider: string;
  model: string;
  /** null when the model's price is unknown (a Replicate model outside the price list). */
  usd: number | null;
  basis: string;
}

export function registerEstimateRoutes(app: FastifyInstance, runtime: Runtime): void {
  app.post(
    '/v1/estimate',
    {
      config: {
        openapi: {
          summary: 'Estimate a job\'s cost',
          description:
            'Validates the request as POST /v1/jobs does and prices it on its first target (`estimate`), on every target of its route in the order the job would try them (`route`; the budget reserves the dearest of them, or their sum for fan-out), and on every registered model able to run it (`alternatives`, with `cheapest`). `budgets` shows what the tenant\'s budget periods have left. Nothing is stored or queued.',
          tags: ['jobs'],
          body: { required: true, content: { 'application/json': 'GenerationRequest' } },
          responses: { 200: { description: 'The estimate and its alternatives.' } },
        },
      },
    },
    async (request) => {
      const plan = await planJob(runtime, tenantOf(request), jobRequestBody(request.body));
      const first = plan.targets[0];
      const alternatives: PricedModel[] = [];
      for (const adapter of runtime.providers.list()) {
        for (const spec of adapter.models) {
          const providerRequest = toProviderRequest(plan.request, { provider: adapter.id, model: spec.id }, plan.images, plan.inputs);
          try {
            validateAgainstCapabilities(adapter.id, spec, providerRequest);
            checkImageLinks(runtime.settings, { provider: adapter.id, model: spec.id }, spec, providerRequest.images.length);
            adapter.validate?.(providerRequest);
          } catch (error) {
            // A model that cannot run the request is simply not an alternative.
            if (error instanceof InputError) continue;
            throw error;
          }
          alternatives.push({ provider: adapter.id, model: spec.id, ...spec.estimate(providerRequest) });
        }
      }
      const estimate = { provider: first?.provider ?? '', model: first?.model ?? '', usd: plan.estimate.usd, basis: plan.estimate.basis };
      // The lowest known price; a tie goes to the requested model, then to registry order.
      const cheapest = alternatives.reduce<PricedModel>(
        (best, candidate) => (candidate.usd !== null && (best.usd === null || candidate.usd < best.usd) ? candidate : best),
        alternatives.find((option) => option.provider === estimate.provider && option.model === estimate.model) ?? estimate,
      );
      const { route } = plan;
      const targets = route.targets.map((target, index) => ({ provider: target.provider, model: target.model, usd: route.estimates[index]?.usd ?? null }));
      const prices = targets.map((target) => target.usd);
      // A route with an unknown price has no amount to reserve: under a budget, submitting it is refused (price_unknown).
      const reserveUsd = prices.some((usd) => usd === null)
        ? null
        : route.fanOut
          ? prices.reduce<number>((sum, usd) => sum + (usd ?? 0), 0)
          : Math.max(0, ...prices.map((usd) => usd ?? 0));
      const budgets = await budgetStatus(runtime, tenantOf(request));
      return {
        object: 'estimate',
        estimate,
        route: { name: route.route ?? null, strategy: route.strategy ?? null, fan_out: route.fanOut, targets, reserve_usd: reserveUsd === null ? null : Math.round(reserveUsd * 1e6) / 1e6 },
        alternatives,
        cheapest,
        budgets,
        within_budget: budgets.every((budget) => reserveUsd !== null && budget.remaining_usd + 1e-9 >= reserveUsd),
      };
    },
  );
}
