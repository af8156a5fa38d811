// The HTTP producer: validates, persists and enqueues jobs, and serves their state and outputs.
// `mediagate api` runs it alone; `mediagate start` runs it beside the workers.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Runtime } from '@mediagate/engine';
import { installBodyParsing } from './body-parsing.ts';
import { frameworkErrors, installErrorHandling } from './errors.ts';
import { registerOpenAiRoutes } from './openai/openai-routes.ts';
import { registerAssetRoutes } from './routes-assets.ts';
import { registerEstimateRoutes } from './routes-estimate.ts';
import { registerPresetRoutes } from './routes-presets.ts';
import { registerUsageRoutes } from './routes-usage.ts';
import { registerEventRoutes } from './routes-events.ts';
import { registerJobRoutes } from './routes-jobs.ts';
import { registerUploadRoutes } from './routes-uploads.ts';
import { registerWebhookRoutes } from './routes-webhooks.ts';
import { installOpenApi } from './openapi/routes-openapi.ts';
import { registerOpsRoutes } from './ops/routes-ops.ts';
import { registerAdminRoutes } from './admin/routes-admin.ts';
import { registerSystemRoutes } from './routes-system.ts';
import { deferredChildLogger } from './request-logger.ts';
import { KeyCache } from './auth/key-cache.ts';
import { installTenantAuth } from './auth/tenant-auth.ts';

export { jobView, assetView, type JobView, type AssetView } from './views.ts';
export { describeProviders } from './providers-view.ts';
export { issueApiKey, apiKeyPrefix, type IssuedApiKey } from './auth/api-keys.ts';
export { ensureLocalApiKey, localApiKeyFile } from './auth/local-key.ts';
export type { AssetLink } from './auth/signed-urls.ts';
// Type-only, for the SDK: the shapes of routes whose views are built beside their handlers.
export type { deliveryView } from './routes-webhooks.ts';
export type { fanOutView } from './fan-out-view.ts';
export type { PricedModel } from './routes-estimate.ts';
export type { createKeyBody } from './admin/routes-admin-keys.ts';
export type { addProviderKeyBody } from './admin/routes-provider-keys.ts';

export interface ApiOptions {
  /** Largest JSON request body, bytes (default 20 MiB); uploads have `maxUploadBytes` instead. */
  bodyLimit?: number;
  /**
   * Largest upload, bytes: the image of POST /v1/uploads and each file sent to /v1/images/edits
   * and /v1/videos; else MEDIAGATE_MAX_UPLOAD_BYTES (settings). Independent of `bodyLimit` and may
   * exceed it: an image is kept as bytes (form files streamed to disk), while a JSON body is parsed
   * into objects on the event loop, so the same size costs far more there.
   */
  maxUploadBytes?: number;
  logger?: boolean;
  /** Key for /v1/admin/keys and the queue board at /admin/queues; else MEDIAGATE_ADMIN_KEY (unset: both are off). */
  adminKey?: string;
  /**
   * How long a verified tenant key is trusted without a database read, ms (default 10 s): a key
   * revoked through another process sharing the database stops working here within this time.
   */
  keyCacheTtlMs?: number;
}

export async function buildApi(runtime: Runtime, options: ApiOptions = {}): Promise<FastifyInstance> {
  const bodyLimit = options.bodyLimit ?? 20 * 1024 * 1024;
  // One setting for every way an image comes in (uploads and image_urls), read once at start.
  // Not capped by `bodyLimit`: the upload routes set their own limits from it.
  const maxUploadBytes = options.maxUploadBytes ?? runtime.settings.maxUploadBytes;
  const app = Fastify({
    loggerInstance: (options.logger === false ? undefined : runtime.logger) as FastifyBaseLogger | undefined,
    bodyLimit,
    // Per-request lines would drown the job logs; requests that fail are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: deferredChildLogger,
    // Long ids reach the routes, which answer in the API's shape naming the field.
    routerOptions: { maxParamLength: 1000 },
    frameworkErrors,
  });
  installErrorHandling(app);
  installBodyParsing(app);
  installOpenApi(app);
  const keys = new KeyCache(runtime.repo, options.keyCacheTtlMs === undefined ? {} : { ttlMs: options.keyCacheTtlMs });
  installTenantAuth(app, keys);
  registerSystemRoutes(app, runtime);
  registerOpsRoutes(app, runtime);
  registerJobRoutes(app, runtime);
  registerEventRoutes(app, runtime);
  registerEstimateRoutes(app, runtime);
  registerPresetRoutes(app, runtime);
  registerUsageRoutes(app, runtime);
  registerAssetRoutes(app, runtime);
  registerUploadRoutes(app, runtime, { maxUploadBytes });
  registerWebhookRoutes(app, runtime);
  registerOpenAiRoutes(app, runtime, { maxUploadBytes });
  registerAdminRoutes(app, runtime, { keys, ...(options.adminKey === undefined ? {} : { adminKey: options.adminKey }) });
  await app.ready();
  return app;
}
