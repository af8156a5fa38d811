// The shape of mediagate.config.yaml, validated by zod at start. Each section is its own schema
// so the code that uses it (key pools, routing, budgets, presets) owns its part of the file.
import { z } from 'zod';

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
    kind: z.enum(['image', 'video', 'speech']).optional(),
    /** A route name or "provider/model". */
    model: z.string().min(1).optional(),
    /** Default params, overridden by the request's own. */
    params: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export const configSchema = z
  .object({
    providers: z.record(z.string().min(1), providerConfigSchema).default({}),
    routes: z.record(name, routeConfigSchema).default({}),
    /** By tenant id; `default` applies to tenants without their own entry. */
    budgets: z.record(z.string().min(1), budgetConfigSchema).default({}),
    presets: z.record(name, presetConfigSchema).default({}),
  })
  .strict();

export type MediagateConfig = z.infer<typeof configSchema>;
export type ProviderConfig = z.infer<typeof providerConfigSchema>;
export type RouteConfig = z.infer<typeof routeConfigSchema>;
export type BudgetConfig = z.infer<typeof budgetConfigSchema>;
export type PresetConfig = z.infer<typeof presetConfigSchema>;
