// Maps every error to the API's one error shape, `{ error: { code, message, field? } }`, in one
// place: bad input is a 4xx naming the field; only our own faults are a 5xx.
import type { FastifyError, FastifyInstance } from 'fastify';
import { InputError } from '@mediagate/core';

export interface ErrorBody {
  error: { code: string; message: string; field?: string; allowed?: readonly (string | number)[] };
}

function body(code: string, message: string, field?: string, allowed?: readonly (string | number)[]): ErrorBody {
  return { error: { code, message, ...(field ? { field } : {}), ...(allowed ? { allowed } : {}) } };
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    if (error instanceof InputError) {
      return reply.status(error.status).send(body(error.code, error.message, error.field, error.allowed));
    }
    const fastifyError = error as FastifyError;
    const status = fastifyError.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      const code = fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'payload_too_large' : 'invalid_request';
      return reply.status(status).send(body(code, fastifyError.message));
    }
    request.log.error({ err: error }, 'request failed');
    return reply.status(500).send(body('internal', 'internal error'));
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send(body('not_found', `no route ${request.method} ${request.url.split('?')[0]}`));
  });
}
