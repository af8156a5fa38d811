// The SDK's errors: one for answers the server gave (its `{ error: { … } }` body, classified
// once here), one for answers that never came (network failures, request timeouts).

/** The server answered, and not with a 2xx. */
export class MediagateError extends Error {
  override readonly name = 'MediagateError';
  /** HTTP status of the answer. */
  readonly status: number;
  /** The API's error code, e.g. `invalid_request`, `not_found`. */
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
  return new MediagateError(response.status, code, message, { ...(field ? { field } : {}), ...(allowed ? { allowed } : {}) });
}
