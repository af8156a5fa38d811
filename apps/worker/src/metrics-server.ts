// A `mediagate worker` process's own Prometheus endpoint: each worker is scraped on its own port
// (MEDIAGATE_METRICS_PORT), the usual one-target-per-process model, since its counters (attempts,
// 429s per key, spend) live in its memory. Process metrics come with them.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { InputError } from '@mediagate/core';
import { engineMetrics, metricsAllowed, metricsUnauthorized, type Runtime } from '@mediagate/engine';

export interface MetricsServer {
  /** Where it listens, e.g. `http://127.0.0.1:9464`. */
  url: string;
  close(): Promise<void>;
}

export async function serveWorkerMetrics(runtime: Runtime, port: number, host = runtime.settings.host): Promise<MetricsServer> {
  const processRegistry = new Registry();
  collectDefaultMetrics({ register: processRegistry });
  const engine = engineMetrics(runtime).registry;
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
      response.end(JSON.stringify({ error: { code: 'not_found', message: `no route ${request.method} ${path}; this port serves GET /metrics` } }));
      return;
    }
    if (!metricsAllowed(runtime.settings.metricsToken, request.headers.authorization)) {
      response.writeHead(401, { 'content-type': 'application/json; charset=utf-8', 'www-authenticate': 'Bearer' });
      response.end(JSON.stringify(metricsUnauthorized));
      return;
    }
    Promise.all([processRegistry.metrics(), engine.metrics()]).then(
      ([own, attempts]) => {
        response.writeHead(200, { 'content-type': processRegistry.contentType });
        response.end(request.method === 'HEAD' ? undefined : `${own}${attempts}`);
      },
      (error: unknown) => {
        runtime.logger.warn({ err: String(error) }, 'metrics could not be rendered');
        response.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        response.end(JSON.stringify({ error: { code: 'internal', message: 'metrics could not be rendered' } }));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    async close() {
      processRegistry.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Scrapers keep connections alive; close() alone would wait for them.
      server.closeAllConnections();
      await closed;
    },
  };
}

/** MEDIAGATE_METRICS_PORT: the port of a worker's /metrics (0: any free one); unset or empty: none. */
export function metricsPortFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env.MEDIAGATE_METRICS_PORT;
  if (raw === undefined || raw === '') return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InputError(`MEDIAGATE_METRICS_PORT: "${raw}" is not a port number 0–65535`, { field: 'MEDIAGATE_METRICS_PORT' });
  }
  return port;
}
