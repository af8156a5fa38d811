// Errors of the OpenAI-compatible routes in the API's one shape: Mediagate's field names turned
// into the OpenAI request's, and failed or overdue jobs turned into an HTTP status.
import { InputError, type ErrorClass } from '@mediagate/core';
import type { JobRecord } from '@mediagate/db';
import type { ErrorBody } from '../errors.ts';

/** Mediagate request fields → the OpenAI field a caller actually sent. */
export type FieldNames = Readonly<Record<string, string>>;

/**
 * Rethrows a Mediagate InputError under the OpenAI field name, so `error.field` and the start of
 * `error.message` name what the caller sent (`size`, not `params.width`). Other errors pass as is.
 */
export function renamingFields<T>(names: FieldNames, run: () => Promise<T>): Promise<T> {
  return run().catch((error: unknown) => {
    throw renamedFieldError(names, error);
  });
}

/** The error renamingFields throws in place of `error`: an InputError under the OpenAI field name, else `error` itself. */
export function renamedFieldError(names: FieldNames, error: unknown): unknown {
  if (!(error instanceof InputError) || error.field === undefined) return error;
  const renamed = names[error.field];
  if (renamed === undefined) return error;
  const message = error.message.startsWith(`${error.field}:`)
    ? `${renamed} (${error.field})${error.message.slice(error.field.length)}`
    : error.message;
  return new InputError(message, {
    field: renamed,
    code: error.code,
    status: error.status,
    ...(error.allowed ? { allowed: error.allowed } : {}),
  });
}

const statusByClass: Partial<Record<ErrorClass | 'internal', number>> = {
  invalid_input: 400,
  content_policy: 400,
  timeout: 504,
  canceled: 409,
  internal: 500,
};

export interface Failure {
  status: number;
  body: ErrorBody;
}

/** A job that ended without output: bad input or policy is the caller's (400), the rest upstream (502). */
export function jobFailure(job: JobRecord): Failure {
  if (job.status === 'canceled') {
    return { status: 409, body: { error: { code: 'canceled', message: `job ${job.id} was canceled` } } };
  }
  const errorClass = job.error?.class ?? 'internal';
  const reason = job.error?.message ?? 'no reason recorded';
  return {
    status: statusByClass[errorClass] ?? 502,
    body: { error: { code: errorClass, message: `job ${job.id} failed: ${reason}` } },
  };
}

/** The wait ran out; the job goes on and stays readable through the jobs API. */
export function waitTimeout(job: JobRecord, waitedMs: number): Failure {
  const seconds = Math.round(waitedMs / 1000);
  return {
    status: 504,
    body: {
      error: {
        code: 'timeout',
        message: `job ${job.id} is still ${job.status} after ${seconds} s; it continues, follow it at GET /v1/jobs/${job.id}`,
      },
    },
  };
}
