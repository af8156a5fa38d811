// Serves the API's description: /openapi.json, built from every route Fastify registers (an
// onRoute hook, so new routes appear without a list to update), and the /docs page that renders it.
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { buildDocument, type OpenApiDocument, type RouteEntry } from './document.ts';
import { docsContentSecurityPolicy, docsPage, docsScript } from './docs-page.ts';
import { knownOperations, type OperationDoc } from './operations.ts';

const title = 'Mediagate API';

function packageVersion(): string {
  const manifest: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  const parsed = z.object({ version: z.string() }).safeParse(manifest);
  return parsed.success ? parsed.data.version : '0.0.0';
}

const ownDocs: Record<string, OperationDoc> = {
  'GET /openapi.json': {
    summary: 'This API description (OpenAPI 3.1)',
    tags: ['operations'],
    responses: { 200: { description: 'The document.', content: { 'application/json': z.record(z.string(), z.unknown()) } } },
  },
  'GET /docs': {
    summary: 'Interactive API reference',
    tags: ['operations'],
    responses: { 200: { description: 'An HTML page that renders /openapi.json and sends requests; everything it loads comes from this server.', content: { 'text/html': z.string() } } },
  },
  'GET /docs/reference.js': {
    summary: 'Script of the API reference page',
    tags: ['operations'],
    responses: { 200: { description: 'JavaScript.', content: { 'text/javascript': z.string() } } },
  },
};

/**
 * Must run before any route is registered: the hook only sees routes added after it.
 * Each route's description is its own `config.openapi`, else the catalogue in operations.ts.
 */
export function installOpenApi(app: FastifyInstance): void {
  const routes: RouteEntry[] = [];
  let document: OpenApiDocument | undefined;

  app.addHook('onRoute', (route) => {
    if (route.url === '/admin' || route.url.startsWith('/admin/')) return; // The admin board is no part of the API.
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      // Fastify adds a HEAD twin to every GET; the GET stands for both.
      if (method === 'HEAD' && routes.some((entry) => entry.method === 'GET' && entry.url === route.url)) continue;
      const key = `${method} ${route.url}`;
      routes.push({ method, url: route.url, doc: route.config?.openapi ?? knownOperations[key] ?? ownDocs[key] });
    }
    document = undefined;
  });

  app.get('/openapi.json', async () => (document ??= buildDocument(routes, { title, version: packageVersion() })));

  app.get('/docs', async (_request, reply) =>
    reply.type('text/html; charset=utf-8').header('content-security-policy', docsContentSecurityPolicy).send(docsPage(title)),
  );
  app.get('/docs/reference.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(docsScript),
  );
}
