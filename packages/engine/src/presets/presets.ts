// Presets: named bundles of a route (or "provider/model") and default params that a request
// names with `preset`. They come from mediagate.config.yaml (every tenant sees them) and from
// /v1/presets (one tenant's own; a tenant preset of the same name wins for that tenant).
import type { z } from 'zod';
import { InputError, parseInput, type GenerationParams, type JobKind } from '@mediagate/core';
import type { Json, PresetOutcome, PresetRecord } from '@mediagate/db';
import { presetConfigSchema } from '../config/schema.ts';
import type { Runtime } from '../runtime.ts';
import { routeNames } from '../routing/plan.ts';

export const presetNamePattern = /^[A-Za-z][A-Za-z0-9_.-]{0,62}$/;

export interface Preset {
  name: string;
  source: 'config' | 'tenant';
  kind: JobKind | undefined;
  model: string | undefined;
  params: GenerationParams;
  description: string | undefined;
  createdAt: Date | undefined;
  updatedAt: Date | undefined;
}

/** The body of PUT /v1/presets/:name (and POST /v1/presets with `name`): what a config preset holds. */
export const presetBodySchema = presetConfigSchema;
export type PresetBody = z.infer<typeof presetBodySchema>;

function fromRecord(record: PresetRecord): Preset {
  return {
    name: record.name,
    source: 'tenant',
    kind: record.kind ?? undefined,
    model: record.model ?? undefined,
    params: record.params as GenerationParams,
    description: record.description ?? undefined,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

function configPresets(runtime: Runtime): Preset[] {
  return Object.entries(runtime.config.presets).map(([name, spec]) => ({
    name,
    source: 'config',
    kind: spec.kind,
    model: spec.model,
    params: spec.params,
    description: spec.description,
    createdAt: undefined,
    updatedAt: undefined,
  }));
}

/** Every preset the tenant can name, by name. */
export async function listPresets(runtime: Runtime, tenantId: string): Promise<Preset[]> {
  const own = (await runtime.repo.presets.list(tenantId)).map(fromRecord);
  const names = new Set(own.map((preset) => preset.name));
  return [...own, ...configPresets(runtime).filter((preset) => !names.has(preset.name))].sort((a, b) => a.name.localeCompare(b.name));
}

export async function findPreset(runtime: Runtime, tenantId: string, name: string): Promise<Preset | undefined> {
  const own = await runtime.repo.presets.get(tenantId, name);
  if (own !== undefined) return fromRecord(own);
  return configPresets(runtime).find((preset) => preset.name === name);
}

/** A preset as /v1/presets answers it (and `mediagate presets list` prints it), with how its jobs ended. */
export function presetView(preset: Preset, outcome: PresetOutcome | undefined) {
  const succeeded = outcome?.succeeded ?? 0;
  const failed = outcome?.failed ?? 0;
  const canceled = outcome?.canceled ?? 0;
  // Canceled jobs say nothing about the preset's quality: the rate is over succeeded + failed.
  const judged = succeeded + failed;
  return {
    object: 'preset' as const,
    name: preset.name,
    source: preset.source,
    kind: preset.kind ?? null,
    model: preset.model ?? null,
    params: preset.params,
    description: preset.description ?? null,
    stats: { succeeded, failed, canceled, success_rate: judged === 0 ? null : Math.round((succeeded / judged) * 1000) / 1000 },
    created_at: preset.createdAt?.toISOString() ?? null,
    updated_at: preset.updatedAt?.toISOString() ?? null,
  };
}

export type PresetView = ReturnType<typeof presetView>;

/** Every preset the tenant can name, as views with their stats, by name. */
export async function listPresetViews(runtime: Runtime, tenantId: string): Promise<PresetView[]> {
  const [presets, outcomes] = await Promise.all([listPresets(runtime, tenantId), runtime.repo.presets.outcomes(tenantId)]);
  const byName = new Map(outcomes.map((outcome) => [outcome.preset, outcome]));
  return presets.map((preset) => presetView(preset, byName.get(preset.name)));
}

/** A preset's model must name a route or a registered "provider/model". */
export function checkPresetModel(runtime: Runtime, model: string | undefined, field = 'model'): void {
  if (model === undefined) return;
  const routes = routeNames(runtime);
  if (routes.includes(model)) return;
  const targets = runtime.providers.targets();
  if (targets.includes(model)) return;
  throw new InputError(`${field}: "${model}" is neither a route (${routes.join(', ')}) nor a "provider/model" this server has`, {
    field,
    allowed: [...routes, ...targets],
  });
}

/** Validates and stores a tenant preset; `created` says whether it is new. */
export async function putPreset(runtime: Runtime, tenantId: string, name: string, body: unknown): Promise<{ preset: Preset; created: boolean }> {
  if (!presetNamePattern.test(name)) {
    throw new InputError('name: a name of letters, digits, _ . - starting with a letter (at most 63)', { field: 'name' });
  }
  const parsed = parseInput(presetBodySchema, body);
  checkPresetModel(runtime, parsed.model);
  const stored = await runtime.repo.presets.put({
    tenantId,
    name,
    kind: parsed.kind ?? null,
    model: parsed.model ?? null,
    params: parsed.params as Record<string, Json>,
    description: parsed.description ?? null,
  });
  return { preset: fromRecord(stored.preset), created: stored.created };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The request with its preset's defaults filled in: `kind` and `model` when the request has
 * none, params under the request's own. Unknown preset: 400 naming `preset` and listing the
 * tenant's presets. A request without `preset` comes back unchanged.
 */
export async function applyPreset(runtime: Runtime, tenantId: string, input: unknown): Promise<unknown> {
  if (!isObject(input) || input.preset === undefined) return input;
  if (typeof input.preset !== 'string' || !presetNamePattern.test(input.preset)) {
    throw new InputError('preset: a preset name (letters, digits, _ . -, starting with a letter)', { field: 'preset' });
  }
  const preset = await findPreset(runtime, tenantId, input.preset);
  if (preset === undefined) {
    const names = (await listPresets(runtime, tenantId)).map((candidate) => candidate.name);
    throw new InputError(`preset: unknown preset "${input.preset}"; available: ${names.join(', ') || 'none (create one with PUT /v1/presets/:name)'}`, {
      field: 'preset',
      allowed: names,
    });
  }
  if (preset.kind !== undefined && input.kind !== undefined && input.kind !== preset.kind) {
    throw new InputError(`kind: preset "${preset.name}" is for ${preset.kind}, not ${String(input.kind)}`, { field: 'kind', allowed: [preset.kind] });
  }
  const params = isObject(input.params) ? { ...preset.params, ...input.params } : (input.params ?? preset.params);
  return {
    ...(preset.kind === undefined ? {} : { kind: preset.kind }),
    ...(preset.model === undefined ? {} : { model: preset.model }),
    ...input,
    params,
  };
}
