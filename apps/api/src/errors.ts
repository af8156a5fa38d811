// Maps every error to the API's one error shape, `{ error: { code, message, field? } }`, in one
// place: bad input is a 4xx naming the field; only our own faults are a 5xx.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InputError } from '@mediagate/core';
import { BudgetExceededError, type BudgetRefusal } from '@mediagate/engine';

export interface ErrorBody {
  error: { code: string; message: string; field?: string; allowed?: readonly (string | number)[]; budget?: BudgetRefusal };
}

function body(code: string, message: string, field?: string, allowed?: readonly (string | number)[]): ErrorBody {
  return { error: { code, message, ...(field ? { field } : {}), ...(allowed ? { allowed } : {}) } };
}

/** An InputError's body; a budget refusal also carries its figures, so no client parses them out of the message. */
function inputErrorBody(error: InputError): ErrorBody {
  const base = body(error.code, error.message, error.field, error.allowed);
  return error instanceof BudgetExceededError ? { error: { ...base.error, budget: error.refusal } } : base;
}

/** Fastify's own request errors, by code: what we answer instead of its message and shape. */
const fastifyErrors: Record<string, { status: number; code: string; message: string; field?: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid_json', message: 'body: not valid JSON', field: 'body' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'invalid_json', message: 'body: empty, expected a JSON object', field: 'body' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large', message: 'body: larger than this server accepts', field: 'body' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'unsupported_media_type',
    message: 'Content-Type: not accepted here; send application/json (uploads: multipart/form-data, image/png, image/jpeg or image/webp)',
    field: 'content-type',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'invalid_request', message: 'Content-Length does not match the body sent' },
  FST_ERR_CTP_INVALID_TYPE: { status: 415, code: 'unsupported_media_type', message: 'Content-Type: malformed', field: 'content-type' },
  FST_ERR_BAD_URL: { status: 400, code: 'invalid_request', message: 'the URL is not validly encoded' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, code: 'uri_too_long', message: 'a path parameter is too long' },
};

function isFastifyError(error: unknown): error is FastifyError {
  return error instanceof Error && typeof (error as Partial<FastifyError>).code === 'string';
}

/**
 * The status and body for any error, plus whether it is our fault (and worth logging).
 * `bodyLimit`, the route's limit on request bodies in bytes, is named when a body is over it.
 */
export function describeError(error: unknown, bodyLimit?: number): { status: number; body: ErrorBody; internal: boolean } {
  if (error instanceof InputError) {
    return { status: error.status, body: inputErrorBody(error), internal: false };
  }
  if (isFastifyError(error)) {
    const known = fastifyErrors[error.code];
    if (known && error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' && bodyLimit !== undefined) {
      return { status: known.status, body: body(known.code, `body: larger than the ${bodyLimit}-byte limit on request bodies`, known.field), internal: false };
    }
    if (known) return { status: known.status, body: body(known.code, known.message, known.field), internal: false };
  }
  // The JSON parser's poisoning guard throws a bare SyntaxError that Fastify marks 400.
  const status = (error as Partial<FastifyError> | undefined)?.statusCode;
  if (error instanceof SyntaxError && status === 400) {
    return { status: 400, body: body('invalid_json', `body: ${error.message}`, 'body'), internal: false };
  }
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const message = error instanceof Error ? error.message : 'bad request';
    return { status, body: body(status === 413 ? 'payload_too_large' : 'invalid_request', message), internal: false };
  }
  return { status: 500, body: body('internal', 'internal error'), internal: true };
}

function answer(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const described = describeError(error, request.routeOptions.bodyLimit);
  if (described.internal) request.log.error({ err: error }, 'request failed');
  return reply.status(described.status).type('application/json; charset=utf-8').send(described.body);
}

/** Fastify's `frameworkErrors` option: errors raised before routing (bad URLs, long params). */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  void answer(error, request, reply);
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request, reply) => answer(error, request, reply));
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send(body('not_found', `no route ${request.method} ${request.url.split('?')[0]}`));
  });
}
