// Turns a zod failure into an InputError that names the offending field and what is allowed.
import type { z } from 'zod';
import { InputError } from './errors.ts';

export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

export function inputErrorFromZod(error: z.ZodError, prefix = ''): InputError {
  const issue = error.issues[0];
  if (issue === undefined) return new InputError('invalid input');
  const path = fieldPath(issue.path);
  const field = [prefix, path].filter((p) => p !== '').join('.') || undefined;
  let allowed: readonly (string | number)[] | undefined;
  let message = issue.message;
  if (issue.code === 'invalid_value') {
    allowed = issue.values.map((v) => String(v));
    message = `must be one of: ${allowed.join(', ')}`;
  } else if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.join(', ');
    const where = field ?? 'request';
    return new InputError(`${where}: unknown field${issue.keys.length > 1 ? 's' : ''} ${keys}`, {
      field: [field, issue.keys[0]].filter(Boolean).join('.'),
    });
  }
  return new InputError(field === undefined ? message : `${field}: ${message}`, {
    field,
    ...(allowed ? { allowed } : {}),
  });
}

/** Parses with a schema, throwing an InputError (never a ZodError) on failure. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw inputErrorFromZod(result.error, prefix);
  return result.data;
}
