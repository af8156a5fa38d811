// Idempotency-Key on POST /v1/jobs: reading the header, and telling a replay of the request that
// created a job from a different request sent under the same key (a 409, nothing written).
import { InputError, type GenerationRequest } from '@mediagate/core';

const header = 'idempotency-key';
// Printable ASCII, as Stripe and the IETF draft expect; long enough for a UUID with a prefix.
const keyPattern = /^[\x21-\x7e]{1,255}$/;

/** The request's Idempotency-Key, undefined when absent; a malformed one is a 400 naming the header. */
export function idempotencyKeyOf(headers: Record<string, string | string[] | undefined>): string | undefined {
  const value = headers[header];
  if (value === undefined) return undefined;
  if (Array.isArray(value)) throw new InputError('Idempotency-Key: send the header once', { field: header });
  if (!keyPattern.test(value)) {
    throw new InputError('Idempotency-Key: 1–255 printable ASCII characters without spaces, e.g. a UUID', { field: header });
  }
  return value;
}

/**
 * The value with object keys sorted and undefined members dropped: what a request reads as once
 * stored in jsonb (which reorders keys and cannot hold undefined), so equal requests compare equal.
 */
function normalized(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalized);
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, member]) => member !== undefined)
    .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));
  return Object.fromEntries(entries.map(([key, member]) => [key, normalized(member)]));
}

/** True when two validated requests are the same request (key order and absent fields aside). */
export function sameRequest(stored: GenerationRequest, sent: GenerationRequest): boolean {
  return JSON.stringify(normalized(stored)) === JSON.stringify(normalized(sent));
}

export function idempotencyConflict(jobId: string): InputError {
  return new InputError(`Idempotency-Key: already used for job ${jobId} with a different request; use a new key for a new request`, {
    field: header,
    status: 409,
    code: 'idempotency_conflict',
  });
}
