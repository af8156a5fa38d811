// The normalized generation request: one shape for every provider. Provider adapters map it to
// their own fields and reject (with a field name) what they cannot honor.
import { z } from 'zod';
import { jobKinds, outputFormats } from './kinds.ts';

export const cardThemes = ['midnight', 'sunrise', 'paper', 'ocean', 'forest', 'neon', 'mono'] as const;
export type CardTheme = (typeof cardThemes)[number];
export const cardLayouts = ['centered', 'left', 'poster'] as const;
export const motions = ['none', 'zoom-in', 'zoom-out', 'pan-left', 'pan-right', 'pan-up', 'pan-down', 'rotate'] as const;
export type Motion = (typeof motions)[number];

/**
 * Text that can be stored: PostgreSQL refuses NUL characters and unpaired UTF-16 surrogates in
 * text and jsonb, so they are rejected here, as bad input, before anything is written.
 */
const unstorable = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function isStorableText(value: string): boolean {
  return !unstorable.test(value);
}

export function storableText(): z.ZodString {
  return z.string().refine(isStorableText, 'must not contain NUL characters or unpaired surrogates');
}

const hexColor = z.string().regex(/^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/, 'a hex color like #1e293b');
const priorityRange = 'a whole number from 1 (runs first) to 100 (runs last)';

const imageUrl = z
  .url({ protocol: /^https?$/, error: 'an http or https URL' })
  .max(2048)
  .refine(isStorableText, 'must not contain NUL characters or unpaired surrogates');

/**
 * Where a webhook goes: an http(s) URL of at most 2048 characters that can be stored. Whether its
 * host may be reached is the URL guard's call (at submit for what the URL alone shows, at delivery
 * for what its name resolves to).
 */
export const webhookUrlSchema = z
  .url({ protocol: /^https?$/, error: 'an http or https URL, e.g. https://example.com/hooks/mediagate' })
  .max(2048, 'at most 2048 characters')
  .refine(isStorableText, 'must not contain NUL characters or unpaired surrogates');

/** Aspect ratio as "W:H" with small positive integers, e.g. 16:9. */
export const aspectRatioSchema = z
  .string()
  .regex(/^[1-9]\d{0,2}:[1-9]\d{0,2}$/, 'an aspect ratio like 16:9');

/** Largest `params.provider_input`, as compact JSON in UTF-8. */
export const providerInputMaxBytes = 8192;

/** Whether every key and string in a JSON value can be stored (see isStorableText). */
function isStorableJson(value: unknown): boolean {
  if (typeof value === 'string') return isStorableText(value);
  if (Array.isArray(value)) return value.every(isStorableJson);
  if (typeof value === 'object' && value !== null) return Object.entries(value).every(([key, item]) => isStorableText(key) && isStorableJson(item));
  return true;
}

/**
 * A provider's own input object, passed through as given to models that take one (Replicate):
 * a JSON object of at most 8 KB whose names are the model's, not Mediagate's.
 */
// Values are any JSON (the body was parsed as JSON); z.json() is not used because its recursive
// schema becomes a $defs reference that does not resolve inside the OpenAPI document.
const providerInputSchema = z
  .record(z.string().min(1).max(200), z.unknown())
  .refine(isStorableJson, 'must not contain NUL characters or unpaired surrogates')
  .refine((value) => new TextEncoder().encode(JSON.stringify(value)).byteLength <= providerInputMaxBytes, `at most ${providerInputMaxBytes} bytes as JSON`);

export const generationParamsSchema = z
  .object({
    width: z.number().int().positive().max(16384).optional(),
    height: z.number().int().positive().max(16384).optional(),
    aspect_ratio: aspectRatioSchema.optional(),
    format: z.enum(outputFormats).optional(),
    seed: z.number().int().min(0).max(4294967295).optional(),
    n: z.number().int().min(1).max(10).optional(),
    /** Video or speech length in seconds. */
    duration: z.number().positive().max(3600).optional(),
    fps: z.number().int().positive().max(120).optional(),
    motion: z.enum(motions).optional(),
    voice: storableText().min(1).max(100).optional(),
    /** Speech rate multiplier: 1 is normal. */
    speed: z.number().positive().max(10).optional(),
    negative_prompt: storableText().max(10000).optional(),
    /** Rendering quality where a model offers a choice (OpenAI: auto|low|medium|high, DALL·E 3: standard|hd). */
    quality: z.enum(['auto', 'low', 'medium', 'high', 'standard', 'hd']).optional(),
    /** How speech should sound (tone, accent, pacing) for models that take voice direction. */
    instructions: storableText().min(1).max(4096).optional(),
    /** Text spoken over a video (local/motion) as its narration track. */
    narration: storableText().min(1).max(20000).optional(),
    theme: z.enum(cardThemes).optional(),
    layout: z.enum(cardLayouts).optional(),
    colors: z
      .object({ background: hexColor.optional(), foreground: hexColor.optional(), accent: hexColor.optional() })
      .strict()
      .optional(),
    /** A short label set apart from the main text, e.g. a brand or handle. */
    brand: storableText().min(1).max(80).optional(),
    /**
     * The model's own inputs by the provider's names, merged into what Mediagate sends (models whose
     * capabilities list provider_input; an input Mediagate already sets is refused, not replaced).
     */
    provider_input: providerInputSchema.optional(),
    /** Fault injection and timing for the simulated provider (ignored by real providers: rejected). */
    simulate: z
      .object({
        latency_ms: z.number().int().min(0).max(600000).optional(),
        fault: storableText().max(40).optional(),
        fault_times: z.number().int().min(1).max(100).optional(),
        progress_steps: z.number().int().min(0).max(100).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type GenerationParams = z.infer<typeof generationParamsSchema>;

export const generationRequestSchema = z
  .object({
    kind: z.enum(jobKinds),
    prompt: storableText().min(1).max(32000),
    /** A route name or "provider/model"; the kind's default route when absent. */
    model: storableText().min(1).max(200).optional(),
    /** A preset's name: its model and params fill in what the request leaves out. */
    preset: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,62}$/, 'a preset name: letters, digits, _ . - starting with a letter')
      .optional(),
    /** Further "provider/model" targets tried in order when the first one fails. */
    fallbacks: z.array(storableText().min(1).max(200)).max(10).optional(),
    params: generationParamsSchema.default({}),
    /** Reference images, as ids of stored assets. */
    image_asset_ids: z.array(storableText().min(1).max(100)).max(16).optional(),
    /**
     * Reference images by URL, fetched once at submit (through the URL guard), stored as assets and
     * appended to image_asset_ids; at most 16 images in all.
     */
    image_urls: z.array(imageUrl).max(16).optional(),
    /**
     * A stored PNG whose fully transparent pixels mark where the first reference image may be
     * edited; same size as that image. Only models that declare `mask` take one.
     */
    mask_asset_id: storableText().min(1).max(100).optional(),
    /**
     * An earlier succeeded job of the same tenant whose output this job remixes with the new
     * prompt, on the provider and model that made it (only models that declare `remix`).
     */
    remix_of: storableText().min(1).max(100).optional(),
    /** 1 runs first, 100 last; 50 when absent. */
    priority: z.number({ error: priorityRange }).int(priorityRange).min(1, priorityRange).max(100, priorityRange).optional(),
    /** The provider's key pool to use (a style with its own keys); `default` when absent. */
    pool: z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,62}$/, 'a pool name: letters, digits, _ . - starting with a letter').optional(),
    metadata: z
      .record(storableText().max(100), storableText().max(1000))
      .refine((value) => Object.keys(value).length <= 50, 'at most 50 keys')
      .optional(),
    /**
     * Where to POST the job's terminal state (signed per Standard Webhooks with the tenant's
     * secret), instead of the tenant's webhook endpoint.
     */
    webhook_url: webhookUrlSchema.optional(),
  })
  .strict();
export type GenerationRequestInput = z.input<typeof generationRequestSchema>;
export type GenerationRequest = z.infer<typeof generationRequestSchema>;

/** One provider and model a job may be sent to. */
export interface Target {
  provider: string;
  model: string;
}

export function formatTarget(target: Target): string {
  return `${target.provider}/${target.model}`;
}

/** Parses "provider/model" (the model part may itself contain slashes, as Replicate's do). */
export function parseTarget(value: string): Target | undefined {
  const slash = value.indexOf('/');
  if (slash <= 0 || slash === value.length - 1) return undefined;
  return { provider: value.slice(0, slash), model: value.slice(slash + 1) };
}
