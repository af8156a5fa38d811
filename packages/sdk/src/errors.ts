// The SDK's errors: one for answers the server gave (its `{ error: { … } }` body, classified
// once here into a class per status a caller acts on), one for answers that never came.
import type { BudgetRefusal } from '@mediagate/engine';
import type { FanOutView } from './types.ts';

/** The server answered, and not with a 2xx. Every refusal is one of these (or a subclass). */
export class MediagateError extends Error {
  override readonly name: string = 'MediagateError';
  /** HTTP status of the answer. */
  readonly status: number;
  /** The API's error code, e.g. `invalid_request`, `not_found`, `budget_exceeded`. */
  readonly code: string;
  /** The request field the server refused, when it named one. */
  readonly field: string | undefined;
  /** The values the field accepts, when the server listed them. */
  readonly allowed: readonly (string | number)[] | undefined;

  constructor(status: number, code: string, message: string, details: { field?: string; allowed?: readonly (string | number)[] } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = details.field;
    this.allowed = details.allowed;
  }

  /** Worth sending again later: the server was overloaded or briefly failing. */
  get isRetryable(): boolean {
    return this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

/** 401: no key, an unknown or revoked key, or (admin calls) not the admin key. */
export class MediagateAuthenticationError extends MediagateError {
  override readonly name: string = 'MediagateAuthenticationError';
}

/** 404: no such resource in the caller's tenant (another tenant's ids answer the same). */
export class MediagateNotFoundError extends MediagateError {
  override readonly name: string = 'MediagateNotFoundError';
}

/**
 * 409: the request clashes with what exists — an `Idempotency-Key` reused with another body
 * (`code` `idempotency_conflict`), a name already taken (`conflict`), a config-file preset
 * (`read_only`).
 */
export class MediagateConflictError extends MediagateError {
  override readonly name: string = 'MediagateConflictError';
}

/** 413: the body (an upload, say) is larger than the server accepts. */
export class MediagatePayloadTooLargeError extends MediagateError {
  override readonly name: string = 'MediagatePayloadTooLargeError';
}

/** 415: a content type the route does not take (uploads: PNG, JPEG or WebP only). */
export class MediagateUnsupportedMediaTypeError extends MediagateError {
  override readonly name: string = 'MediagateUnsupportedMediaTypeError';
}

/** 429: too many requests; `retryAfterMs` from the Retry-After header when the server sent one. */
export class MediagateRateLimitError extends MediagateError {
  override readonly name: string = 'MediagateRateLimitError';
  readonly retryAfterMs: number | undefined;

  constructor(status: number, code: string, message: string, details: { field?: string; allowed?: readonly (string | number)[]; retryAfterMs?: number } = {}) {
    super(status, code, message, details);
    this.retryAfterMs = details.retryAfterMs;
  }
}

/** Which budget period refused a job. */
export type BudgetName = 'daily' | 'monthly';

/**
 * 402 `budget_exceeded`: the job would take the tenant past its daily or monthly budget, so
 * nothing was stored or queued. The amounts come from the body's `error.budget`; from a server
 * too old to send it, they are read from its message (USD, to the cent, or to 1/100 of a cent
 * below a cent), and `undefined` if it words them otherwise.
 */
export class MediagateBudgetExceededError extends MediagateError {
  override readonly name: string = 'MediagateBudgetExceededError';
  /** The period that has too little left. */
  readonly budget: BudgetName | undefined;
  /** That period's limit, USD. */
  readonly limitUsd: number | undefined;
  /** What that period has left, USD. */
  readonly remainingUsd: number | undefined;
  /** What the refused request was estimated at, USD. */
  readonly estimateUsd: number | undefined;

  constructor(status: number, code: string, message: string, details: ErrorDetails = {}) {
    super(status, code, message, details);
    const figures = details.budget;
    if (figures !== undefined) {
      this.budget = figures.period;
      this.limitUsd = figures.limit_usd;
      this.remainingUsd = figures.remaining_usd;
      this.estimateUsd = figures.estimate_usd;
      return;
    }
    // "budget exceeded: the daily budget of $0.05 for tenant t (UTC day …) has $0.03 remaining,
    //  and this request is estimated at $0.10"
    const amount = (pattern: RegExp): number | undefined => {
      const match = pattern.exec(message);
      return match?.[1] === undefined ? undefined : Number(match[1]);
    };
    const budget = /\bthe (daily|monthly) budget\b/.exec(message)?.[1];
    this.budget = budget === 'daily' || budget === 'monthly' ? budget : undefined;
    this.limitUsd = amount(/budget of \$(\d+(?:\.\d+)?)/);
    this.remainingUsd = amount(/has \$(\d+(?:\.\d+)?) remaining/);
    this.estimateUsd = amount(/estimated at \$(\d+(?:\.\d+)?)/);
  }
}

/**
 * `jobs.create` reached a fan-out route, which made one job per target: they are all in `fanOut`
 * (nothing is lost). `jobs.submit` answers single jobs and fan-outs alike.
 */
export class MediagateFanOutError extends Error {
  override readonly name = 'MediagateFanOutError';

  constructor(readonly fanOut: FanOutView) {
    super(`route ${fanOut.route} fanned out into ${fanOut.jobs.length} jobs (batch ${fanOut.batch_id}); use jobs.submit to receive every job`);
  }
}

/** No answer: the server could not be reached, the connection broke, or it answered too late. */
export class MediagateConnectionError extends Error {
  override readonly name = 'MediagateConnectionError';
  /** True when the request was given up after the client's `timeoutMs`. */
  readonly timedOut: boolean;

  constructor(message: string, options: { cause?: unknown; timedOut?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.timedOut = options.timedOut ?? false;
  }
}

/** `jobs.wait` gave up before the job finished; the job itself goes on. */
export class MediagateTimeoutError extends Error {
  override readonly name = 'MediagateTimeoutError';

  constructor(
    readonly jobId: string,
    readonly timeoutMs: number,
  ) {
    super(`job ${jobId} did not finish within ${timeoutMs} ms`);
  }
}

interface ErrorFields {
  code?: unknown;
  message?: unknown;
  field?: unknown;
  allowed?: unknown;
  budget?: unknown;
}

/** What an error body says beyond its code and message. */
interface ErrorDetails {
  field?: string;
  allowed?: readonly (string | number)[];
  budget?: BudgetRefusal;
}

type ErrorClass = new (status: number, code: string, message: string, details: ErrorDetails) => MediagateError;

/** `error.budget` when it has the shape the server sends, else undefined. */
function budgetFigures(value: unknown): BudgetRefusal | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { period, limit_usd, remaining_usd, estimate_usd } = value as Record<string, unknown>;
  if (period !== 'daily' && period !== 'monthly') return undefined;
  if (![limit_usd, remaining_usd, estimate_usd].every((amount) => typeof amount === 'number' && Number.isFinite(amount))) return undefined;
  return { period, limit_usd: limit_usd as number, remaining_usd: remaining_usd as number, estimate_usd: estimate_usd as number };
}

const classByStatus: Record<number, ErrorClass> = {
  401: MediagateAuthenticationError,
  402: MediagateBudgetExceededError,
  404: MediagateNotFoundError,
  409: MediagateConflictError,
  413: MediagatePayloadTooLargeError,
  415: MediagateUnsupportedMediaTypeError,
};

/** Retry-After as ms: delta-seconds or an HTTP date. */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (header.trim() !== '' && Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** The error for a non-2xx answer, read from the API's error shape when the body has it. */
export async function errorFromResponse(response: Response): Promise<MediagateError> {
  const text = await response.text().catch(() => '');
  let fields: ErrorFields | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    const inner = typeof parsed === 'object' && parsed !== null ? (parsed as { error?: unknown }).error : undefined;
    if (typeof inner === 'object' && inner !== null) fields = inner as ErrorFields;
  } catch {
    // Not JSON: a proxy's page, say. The status and the start of the text are all there is.
  }
  const code = typeof fields?.code === 'string' ? fields.code : 'http_error';
  const message =
    typeof fields?.message === 'string' ? fields.message : `${response.status} ${response.statusText}${text ? `: ${text.slice(0, 200)}` : ''}`;
  const field = typeof fields?.field === 'string' ? fields.field : undefined;
  const allowed = Array.isArray(fields?.allowed) ? (fields.allowed as (string | number)[]) : undefined;
  const budget = budgetFigures(fields?.budget);
  const details: ErrorDetails = { ...(field ? { field } : {}), ...(allowed ? { allowed } : {}), ...(budget ? { budget } : {}) };
  if (response.status === 429) {
    const wait = retryAfterMs(response.headers.get('retry-after'));
    return new MediagateRateLimitError(response.status, code, message, { ...details, ...(wait === undefined ? {} : { retryAfterMs: wait }) });
  }
  // A 402 that is not a budget (a proxy's paywall) stays a plain MediagateError.
  const ErrorType = response.status === 402 && code !== 'budget_exceeded' ? MediagateError : (classByStatus[response.status] ?? MediagateError);
  return new ErrorType(response.status, code, message, details);
}
