// Builds the OpenAPI 3.1 document from the routes Fastify registered and the zod schemas that
// validate requests and shape responses; nothing in it is written by hand twice.
import { z } from 'zod';
import { tagDescriptions, type OperationDoc, type SchemaSource } from './operations.ts';
import { componentSchemas } from './view-schemas.ts';

export interface RouteEntry {
  method: string;
  /** Fastify's path, e.g. /v1/jobs/:id. */
  url: string;
  doc: OperationDoc | undefined;
}

type JsonSchema = Record<string, unknown>;
type Operation = Record<string, unknown>;
export type OpenApiDocument = Record<string, unknown> & { openapi: string; paths: Record<string, Record<string, Operation>> };

const componentRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });

function jsonSchema(source: SchemaSource): JsonSchema {
  if (typeof source === 'string') return componentRef(source);
  const { $schema: _dialect, ...schema } = z.toJSONSchema(source, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return schema;
}

function components(): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(componentSchemas)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { io: 'input', unrepresentable: 'any', uri: (id) => componentRef(id).$ref });
  return Object.fromEntries(
    Object.entries(schemas).map(([id, schema]) => {
      const { $schema: _dialect, $id: _id, ...rest } = schema as JsonSchema;
      return [id, rest];
    }),
  );
}

/** `/v1/jobs/:id` → `/v1/jobs/{id}`, with the names of its path parameters. */
export function openApiPath(url: string): { path: string; params: string[] } {
  const params: string[] = [];
  const path = url.replace(/:([A-Za-z0-9_]+)|\*/g, (_match, name: string | undefined) => {
    const param = name ?? 'wildcard';
    params.push(param);
    return `{${param}}`;
  });
  return { path, params };
}

function operationId(method: string, path: string): string {
  const words = path.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return method.toLowerCase() + words.map((word) => word[0]?.toUpperCase() + word.slice(1)).join('');
}

function content(map: Record<string, SchemaSource>): Record<string, { schema: JsonSchema }> {
  return Object.fromEntries(Object.entries(map).map(([type, source]) => [type, { schema: jsonSchema(source) }]));
}

/** Summary and tag for a route nobody described: from its path, so it is still listed. */
function fallbackDoc(method: string, url: string): OperationDoc {
  const segments = url.split('/').filter((segment) => segment && !segment.startsWith(':') && !/^v\d+$/.test(segment));
  return { summary: `${method} ${url}`, tags: [segments[0] ?? 'other'], responses: { 200: { description: 'Success.' } } };
}

/**
 * Who may call a route (auth/tenant-auth.ts decides the same way): /v1 needs a tenant key, except
 * the admin routes (admin key) and signed asset links (the key or a signature); the rest is public.
 */
function securityOf(url: string): { security: Record<string, string[]>[] } {
  if (url.startsWith('/v1/admin/')) return { security: [{ adminKey: [] }] };
  if (url === '/v1/assets/:id/content') return { security: [{ apiKey: [] }, {}] };
  if (url === '/v1' || url.startsWith('/v1/')) return { security: [{ apiKey: [] }] };
  return { security: [] };
}

function operation(route: RouteEntry, path: string, params: string[]): Operation {
  const doc = route.doc ?? fallbackDoc(route.method, route.url);
  const parameters: Record<string, unknown>[] = params.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
  if (doc.query) {
    const query = jsonSchema(doc.query) as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, schema] of Object.entries(query.properties ?? {})) {
      const { description, ...rest } = schema;
      parameters.push({ name, in: 'query', required: query.required?.includes(name) ?? false, schema: rest, ...(description ? { description } : {}) });
    }
  }
  for (const [name, header] of Object.entries(doc.headers ?? {})) {
    parameters.push({ name, in: 'header', required: false, description: header.description, schema: jsonSchema(header.schema) });
  }
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(doc.responses)) {
    responses[status] = { description: response.description, ...(response.content ? { content: content(response.content) } : {}) };
  }
  responses['4XX'] ??= { $ref: '#/components/responses/ClientError' };
  responses['5XX'] ??= { $ref: '#/components/responses/ServerError' };
  return {
    operationId: operationId(route.method, path),
    ...securityOf(route.url),
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    tags: doc.tags,
    ...(parameters.length ? { parameters } : {}),
    ...(doc.body ? { requestBody: { required: doc.body.required, ...(doc.body.description ? { description: doc.body.description } : {}), content: content(doc.body.content) } } : {}),
    responses,
  };
}

export function buildDocument(routes: readonly RouteEntry[], info: { title: string; version: string }): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  const tags = new Set<string>();
  for (const route of routes) {
    const { path, params } = openApiPath(route.url);
    const method = route.method.toLowerCase();
    const item = (paths[path] ??= {});
    // A path registered twice under constraints (the SSE variant of a JSON route) is one operation.
    if (item[method] !== undefined) continue;
    const built = operation(route, path, params);
    item[method] = built;
    for (const tag of built.tags as string[]) tags.add(tag);
  }
  const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: componentRef('Error') } } });
  return {
    openapi: '3.1.0',
    info: {
      ...info,
      description: 'Mediagate: one API for image, video and speech generation across providers, with durable jobs and stored, verified outputs. Errors are always `{ "error": { "code", "message", "field"? } }`.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    tags: [...tags].sort().map((name) => ({ name, ...(tagDescriptions[name] ? { description: tagDescriptions[name] } : {}) })),
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components: {
      schemas: components(),
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'A tenant API key (`mg_…`), from POST /v1/admin/keys or, for `mediagate start`, the file <MEDIAGATE_HOME>/api-key. Everything the key reads or writes belongs to its tenant.',
        },
        adminKey: { type: 'http', scheme: 'bearer', description: 'The admin key, MEDIAGATE_ADMIN_KEY.' },
      },
      responses: {
        ClientError: errorResponse('Bad input, an unknown id or an unsupported request; `field` names what to fix.'),
        ServerError: errorResponse('A fault on this side; the message says no more than that.'),
      },
    },
  };
}
