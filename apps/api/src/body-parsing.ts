// What request bodies the API accepts: JSON only (uploads add image types in their own scope),
// and no text PostgreSQL cannot store, refused as bad input before any route runs.
import type { FastifyInstance } from 'fastify';
import { InputError, fieldPath } from '@mediagate/core';

// NUL is refused by PostgreSQL text and jsonb; a lone surrogate by jsonb. Both would be a 500.
const unstorable = /\u0000|\p{Cs}/u;

interface Visit {
  value: unknown;
  key: string | number | undefined;
  parent: Visit | undefined;
}

function pathOf(visit: Visit | undefined): (string | number)[] {
  const path: (string | number)[] = [];
  for (let at = visit; at !== undefined && at.key !== undefined; at = at.parent) path.unshift(at.key);
  return path;
}

/** The first string (value or key) in `value` PostgreSQL would refuse, as a field path. */
export function findUnstorableText(value: unknown): { path: (string | number)[]; inKey: boolean } | undefined {
  // Iterative, with parent links rather than copied paths: a body may nest far deeper than the
  // call stack allows, and copying paths would make that quadratic.
  const stack: Visit[] = [{ value, key: undefined, parent: undefined }];
  for (let visit = stack.pop(); visit !== undefined; visit = stack.pop()) {
    const current = visit.value;
    if (typeof current === 'string') {
      if (unstorable.test(current)) return { path: pathOf(visit), inKey: false };
    } else if (Array.isArray(current)) {
      for (let index = current.length - 1; index >= 0; index--) stack.push({ value: current[index], key: index, parent: visit });
    } else if (typeof current === 'object' && current !== null && !Buffer.isBuffer(current)) {
      const entries = Object.entries(current);
      for (const [key] of entries) if (unstorable.test(key)) return { path: pathOf(visit), inKey: true };
      for (let index = entries.length - 1; index >= 0; index--) {
        const [key, child] = entries[index] as [string, unknown];
        stack.push({ value: child, key, parent: visit });
      }
    }
  }
  return undefined;
}

/**
 * Bodies the JSON parser already knows to be storable: NUL and surrogates can only reach a JSON
 * text as \u escapes (a raw NUL is not JSON, and decoding UTF-8 never yields a lone surrogate),
 * so a text without any needs no walk of what it parsed to.
 */
const storableBodies = new WeakSet<object>();

/** True when `value` is a flat object (params, most queries) of storable keys and strings; false means "walk it". */
function isFlatAndStorable(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value !== 'object' || Array.isArray(value) || Buffer.isBuffer(value)) return false;
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    if (unstorable.test(key) || (typeof item === 'object' && item !== null) || (typeof item === 'string' && unstorable.test(item))) return false;
  }
  return true;
}

function rejectUnstorable(value: unknown, where: string): void {
  if (isFlatAndStorable(value)) return;
  const found = findUnstorableText(value);
  if (found === undefined) return;
  const field = fieldPath(found.path) || where;
  const what = found.inKey ? 'a key contains' : 'contains';
  throw new InputError(`${field}: ${what} a NUL character or an unpaired surrogate`, { field });
}

export function installBodyParsing(app: FastifyInstance): void {
  // A JSON string sent as text/plain would otherwise reach the routes as a string.
  app.removeContentTypeParser(['text/plain', 'application/json']);
  // Bodiless POSTs (cancel) often still say application/json: treat an empty body as no body.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, text, done) => {
    if (text.length === 0) {
      done(null, undefined);
      return;
    }
    const json = text.toString();
    parseJson(request, json, (error, body) => {
      if (error === null && typeof body === 'object' && body !== null && !json.includes('\\u')) storableBodies.add(body);
      done(error, body);
    });
  });
  // A callback hook: nothing here waits, so a promise per request would be pure overhead.
  app.addHook('preValidation', (request, _reply, done) => {
    try {
      rejectUnstorable(request.params, 'params');
      rejectUnstorable(request.query, 'query');
      const body = request.body;
      if (typeof body !== 'object' || body === null || !storableBodies.has(body)) rejectUnstorable(body, 'body');
    } catch (error) {
      done(error as Error);
      return;
    }
    done();
  });
}
