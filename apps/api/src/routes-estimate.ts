// POST /v1/estimate: what a job request would cost on the model it names and on every other
// registered model able to run it, without writing or sending anything.
import type { FastifyInstance } from 'fastify';
import { InputError } from '@mediagate/core';
import { planJob, toProviderRequest, type Runtime } from '@mediagate/engine';
import { validateAgainstCapabilities } from '@mediagate/providers';
import { jobRequestBody, tenantOf } from './routes-jobs.ts';

export interface PricedModel {
  provider: string;
  model: string;
  usd: number;
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
            'Validates the request as POST /v1/jobs does and prices it on its first target (`estimate`) and on every registered model able to run it (`alternatives`, with `cheapest`). Nothing is stored or queued.',
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
          const providerRequest = toProviderRequest(plan.request, { provider: adapter.id, model: spec.id }, plan.images);
          try {
            validateAgainstCapabilities(adapter.id, spec, providerRequest);
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
      // The lowest price; a tie goes to the requested model, then to registry order.
      const cheapest = alternatives.reduce<PricedModel>(
        (best, candidate) => (candidate.usd < best.usd ? candidate : best),
        alternatives.find((option) => option.provider === estimate.provider && option.model === estimate.model) ?? estimate,
      );
      return { object: 'estimate', estimate, alternatives, cheapest };
    },
  );
}
