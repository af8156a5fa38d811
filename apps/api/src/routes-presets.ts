// /v1/presets: the tenant's presets (its own, made here, beside those of mediagate.config.yaml)
// with how the jobs that named each one ended. Config presets are read-only here.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { InputError, NotFoundError, parseInput } from '@mediagate/core';
import { findPreset, listPresetViews, presetBodySchema, presetView, putPreset, type Runtime } from '@mediagate/engine';
import type { PresetOutcome } from '@mediagate/db';
import { tenantOf } from './routes-jobs.ts';

const nameParams = z.object({ name: z.string().min(1).max(200) });

async function outcomeOf(runtime: Runtime, tenantId: string, name: string): Promise<PresetOutcome | undefined> {
  return (await runtime.repo.presets.outcomes(tenantId)).find((outcome) => outcome.preset === name);
}

const presetDoc = { tags: ['presets'] };

export function registerPresetRoutes(app: FastifyInstance, runtime: Runtime): void {
  app.get(
    '/v1/presets',
    {
      config: {
        openapi: {
          ...presetDoc,
          summary: 'List presets',
          description:
            "The tenant's own presets and those of mediagate.config.yaml (`source`), each with how the jobs that named it ended (`stats`; `success_rate` = succeeded ÷ (succeeded + failed), null before any).",
          responses: { 200: { description: 'The presets, by name.' } },
        },
      },
    },
    async (request) => {
      return { object: 'list', data: await listPresetViews(runtime, tenantOf(request)) };
    },
  );

  app.get(
    '/v1/presets/:name',
    { config: { openapi: { ...presetDoc, summary: 'Read a preset', responses: { 200: { description: 'The preset with its stats.' } } } } },
    async (request) => {
      const { name } = parseInput(nameParams, request.params);
      const tenantId = tenantOf(request);
      const preset = await findPreset(runtime, tenantId, name);
      if (preset === undefined) throw new NotFoundError('preset', name);
      return presetView(preset, await outcomeOf(runtime, tenantId, name));
    },
  );

  app.put(
    '/v1/presets/:name',
    {
      config: {
        openapi: {
          ...presetDoc,
          summary: 'Create or replace a preset',
          description:
            'Body: `kind`, `model` (a route or "provider/model"), `params` (defaults; a request\'s own params win), `description`. A tenant preset named like a config preset takes its place for this tenant.',
          body: { required: true, content: { 'application/json': presetBodySchema } },
          responses: { 201: { description: 'Created.' }, 200: { description: 'Replaced.' } },
        },
      },
    },
    async (request, reply) => {
      const { name } = parseInput(nameParams, request.params);
      const tenantId = tenantOf(request);
      const { preset, created } = await putPreset(runtime, tenantId, name, request.body ?? {});
      return reply.status(created ? 201 : 200).send(presetView(preset, await outcomeOf(runtime, tenantId, name)));
    },
  );

  app.post(
    '/v1/presets',
    {
      config: {
        openapi: {
          ...presetDoc,
          summary: 'Create a preset',
          description: 'As PUT /v1/presets/:name with `name` in the body; 409 `conflict` when the tenant already has a preset of that name.',
          responses: { 201: { description: 'Created.' } },
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new InputError('body: send a JSON object, e.g. {"name": "instagram-story", "model": "high", "params": {"aspect_ratio": "9:16"}}', { field: 'body' });
      }
      const { name, ...rest } = body as Record<string, unknown>;
      if (typeof name !== 'string') throw new InputError('name: required, a preset name', { field: 'name' });
      const tenantId = tenantOf(request);
      if ((await runtime.repo.presets.get(tenantId, name)) !== undefined) {
        throw new InputError(`name: preset "${name}" already exists; replace it with PUT /v1/presets/${name}`, { field: 'name', code: 'conflict', status: 409 });
      }
      const { preset } = await putPreset(runtime, tenantId, name, rest);
      return reply.status(201).send(presetView(preset, await outcomeOf(runtime, tenantId, name)));
    },
  );

  app.delete(
    '/v1/presets/:name',
    { config: { openapi: { ...presetDoc, summary: 'Delete a preset', responses: { 204: { description: 'Deleted.' } } } } },
    async (request, reply) => {
      const { name } = parseInput(nameParams, request.params);
      const tenantId = tenantOf(request);
      if (await runtime.repo.presets.delete(tenantId, name)) return reply.status(204).send();
      if (runtime.config.presets[name] !== undefined) {
        throw new InputError(`preset "${name}" is defined in the config file; change it there`, { code: 'read_only', status: 409 });
      }
      throw new NotFoundError('preset', name);
    },
  );
}
