// The shape of mediagate.config.yaml, validated by zod at start. Each section is its own schema
// so the code that uses it (key pools, routing, budgets, presets) owns its part of the file.
import { z } from 'zod';
import { generationParamsSchema, jobKinds } from '@mediagate/core';

const name = z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,62}$/, 'a name of letters, digits, _ . - starting with a letter');
const positiveInt = z.number().int().positive();

export const keyLimitsSchema = z
  .object({
    /** Requests per minute. */
    rpm: positiveInt.optional(),
    /** Requests in flight at once. */
    concurrency: positiveInt.optional(),
    /** Requests per UTC day. */
    daily: positiveInt.optional(),
    /** Length of the rpm "minute" in ms (default 60000): for simulated time in tests and benchmarks. */
    minute_ms: positiveInt.optional(),
  })
  .strict();
export type KeyLimits = z.infer<typeof keyLimitsSchema>;

export const keyConfigSchema = z
  .object({
    id: name,
    secret: z.string().min(1, 'must not be empty'),
    limits: keyLimitsSchema.default({}),
  })
  .strict();

export const poolConfigSchema = z
  .object({
    keys: z.array(keyConfigSchema).min(1, 'a pool needs at least one key'),
  })
  .strict();

export const providerConfigSchema = z
  .object({
    /** Overrides the provider's API base URL, e.g. a local compatible server. */
    baseURL: z.url({ protocol: /^https?$/, error: 'an http or https URL' }).optional(),
    /** Key pools by name; `default` serves jobs that name no pool. */
    pools: z.record(name, poolConfigSchema).default({}),
  })
  .strict();

export const routeStrategies = ['fallback', 'weighted', 'cheapest', 'fastest', 'adaptive', 'fan-out'] as const;
export type RouteStrategy = (typeof routeStrategies)[number];

/** "provider/model", or an object with a weight (for the weighted strategy). */
export const routeTargetSchema = z.union([
  z.string().min(3),
  z.object({ target: z.string().min(3), weight: z.number().positive().optional() }).strict(),
]);

export const routeConfigSchema = z
  .object({
    strategy: z.enum(routeStrategies).default('fallback'),
    targets: z.array(routeTargetSchema).min(1, 'a route needs at least one target'),
  })
  .strict();

export const budgetConfigSchema = z
  .object({
    daily_usd: z.number().nonnegative().optional(),
    monthly_usd: z.number().nonnegative().optional(),
  })
  .strict();

export const presetConfigSchema = z
  .object({
    kind: z.enum(jobKinds).optional(),
    /** A route name or "provider/model". */
    model: z.string().min(1).max(200).optional(),
    /** Default params (the request's schema), overridden by the request's own. */
    params: generationParamsSchema.default({}),
    description: z.string().max(500).optional(),
  })
  .strict();

/** Circuit breakers and the observation window behind `fastest` and `adaptive`. */
export const routingConfigSchema = z
  .object({
    breaker: z
      .object({
        /** Consecutive provider-side failures that open a provider's circuit. */
        failures: positiveInt.default(5),
        /** Seconds a circuit stays open before one probe attempt may pass. */
        cooldown_seconds: z.number().positive().max(86_400).default(30),
      })
      .strict()
      .default({ failures: 5, cooldown_seconds: 30 }),
    /** Attempts a target needs before `fastest` and `adaptive` rank it; fewer and it is tried first. */
    min_samples: positiveInt.max(100).default(5),
  })
  .strict();

export const configSchema = z
  .object({
    providers: z.record(z.string().min(1), providerConfigSchema).default({}),
    routes: z.record(name, routeConfigSchema).default({}),
    /** By tenant id; `default` applies to tenants without their own entry. */
    budgets: z.record(z.string().min(1), budgetConfigSchema).default({}),
    presets: z.record(name, presetConfigSchema).default({}),
    routing: routingConfigSchema.default({ breaker: { failures: 5, cooldown_seconds: 30 }, min_samples: 5 }),
  })
  .strict();

export type MediagateConfig = z.infer<typeof configSchema>;
export type ProviderConfig = z.infer<typeof providerConfigSchema>;
export type RouteConfig = z.infer<typeof routeConfigSchema>;
export type BudgetConfig = z.infer<typeof budgetConfigSchema>;
export type PresetConfig = z.infer<typeof presetConfigSchema>;
export type RoutingConfig = z.infer<typeof routingConfigSchema>;
