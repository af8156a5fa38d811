// Service routes: health and the providers this process knows with their capabilities.
import type { FastifyInstance } from 'fastify';
import type { Runtime } from '@mediagate/engine';
import { describeProviders } from './providers-view.ts';

export function registerSystemRoutes(app: FastifyInstance, runtime: Runtime): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/v1/providers', async () => ({ object: 'list', data: await describeProviders(runtime) }));
}
