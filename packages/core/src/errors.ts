// The two error types that cross package boundaries: bad input from a caller (a 4xx / exit 2)
// and a classified failure from a provider (decides retry, fallback and key cooldown).

/** The caller asked for something invalid. Names the field and, when known, what is allowed. */
export class InputError extends Error {
  override readonly name = 'InputError';
  readonly code: string;
  readonly field: string | undefined;
  readonly allowed: readonly (string | number)[] | undefined;
  /** HTTP status to answer with (400 unless a more precise one applies, e.g. 404, 413, 415). */
  readonly status: number;

  constructor(
    message: string,
    options: { field?: string; allowed?: readonly (string | number)[]; code?: string; status?: number } = {},
  ) {
    super(message);
    this.field = options.field;
    this.allowed = options.allowed;
    this.code = options.code ?? 'invalid_request';
    this.status = options.status ?? 400;
  }
}

/** Something asked for does not exist (in the caller's tenant). */
export class NotFoundError extends InputError {
  constructor(what: string, id: string) {
    super(`${what} ${JSON.stringify(id)} not found`, { code: 'not_found', status: 404 });
  }
}

/** How a provider failure is handled; classified once, where it is caught. */
export const errorClasses = [
  'rate_limited', // cool the key down until retryAfterMs, requeue, no attempt consumed
  'auth', // the key is bad: stop using it
  'invalid_input', // never retried
  'content_policy', // never retried; falls back only if the route allows
  'timeout',
  'server',
  'network',
  'malformed', // the provider answered something that is not what its API promises
  'output_invalid', // the output bytes are not valid media of the requested kind
  'canceled',
  'ambiguous_submit', // a crash fell between sending a request and storing its handle
] as const;
export type ErrorClass = (typeof errorClasses)[number];

const retryable: ReadonlySet<ErrorClass> = new Set([
  'rate_limited',
  'timeout',
  'server',
  'network',
  'malformed',
  'output_invalid',
]);

export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly errorClass: ErrorClass;
  /** How long the provider asked us to wait (Retry-After and friends), in milliseconds. */
  readonly retryAfterMs: number | undefined;
  /** HTTP status of the provider's answer, when there was one. */
  readonly status: number | undefined;
  /** The provider's own error code, when it sent one (for logs and the job record). */
  readonly providerCode: string | undefined;

  constructor(
    errorClass: ErrorClass,
    message: string,
    options: { retryAfterMs?: number; status?: number; providerCode?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.errorClass = errorClass;
    this.retryAfterMs = options.retryAfterMs;
    this.status = options.status;
    this.providerCode = options.providerCode;
  }

  get isRetryable(): boolean {
    return retryable.has(this.errorClass);
  }
}

export function isRetryableClass(errorClass: ErrorClass): boolean {
  return retryable.has(errorClass);
}

/** The shape stored on a failed job or attempt and returned by the API. */
export interface ErrorRecord {
  class: ErrorClass | 'internal';
  message: string;
  status?: number;
  providerCode?: string;
}

export function toErrorRecord(error: unknown): ErrorRecord {
  if (error instanceof ProviderError) {
    const record: ErrorRecord = { class: error.errorClass, message: error.message };
    if (error.status !== undefined) record.status = error.status;
    if (error.providerCode !== undefined) record.providerCode = error.providerCode;
    return record;
  }
  return { class: 'internal', message: error instanceof Error ? error.message : String(error) };
}
