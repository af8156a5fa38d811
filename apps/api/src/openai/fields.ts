// zod pieces for OpenAI request fields, which arrive as JSON values or as multipart strings,
// and the rule for fields no Mediagate model honors: absent or their default, else a 400.
import { z } from 'zod';
import { InputError } from '@mediagate/core';

/** A number sent as JSON or as a form string. */
export const numberField = z.union([
  z.number(),
  z
    .string()
    .trim()
    .regex(/^-?\d+(?:\.\d+)?$/, 'a number')
    .transform(Number),
]);

export const intField = (min: number, max: number) => numberField.pipe(z.number().int().min(min).max(max));

/** A boolean sent as JSON or as the form strings "true"/"false". */
export const booleanField = z.union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')]);

/**
 * Refuses a field the target cannot honor; `neutral` values (OpenAI's defaults that change
 * nothing, like quality "auto") pass. Never silently dropped.
 */
export function refuseUnlessNeutral(field: string, value: unknown, target: string, neutral: readonly unknown[] = []): void {
  if (value === undefined || neutral.includes(value)) return;
  const hint = neutral.length > 0 ? `; leave it out or send ${neutral.map((item) => JSON.stringify(item)).join(' or ')}` : '; leave it out';
  throw new InputError(`${field}: ${JSON.stringify(value)} is not supported by ${target}${hint}`, {
    field,
    ...(neutral.length > 0 ? { allowed: neutral.map((item) => String(item)) } : {}),
  });
}

/** "WxH" as width and height; "auto" (or nothing) leaves the size to the model. */
export function parseSize(size: string | undefined, field = 'size'): { width: number; height: number } | undefined {
  if (size === undefined || size === 'auto') return undefined;
  const match = /^(\d{1,5})x(\d{1,5})$/.exec(size);
  if (match === null || Number(match[1]) === 0 || Number(match[2]) === 0) {
    throw new InputError(`${field}: ${JSON.stringify(size)} is not a size; send WIDTHxHEIGHT like 1024x1024, or auto`, { field });
  }
  return { width: Number(match[1]), height: Number(match[2]) };
}
