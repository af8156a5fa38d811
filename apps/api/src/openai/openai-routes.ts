// OpenAI-compatible routes under /v1, so the official `openai` client works with its baseURL
// pointed at Mediagate: images (generations, edits), speech and videos, run as Mediagate jobs.
import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import type { Runtime } from '@mediagate/engine';
import { EventHub } from '../event-hub.ts';
import type { OpenAiContext } from './context.ts';
import { openAiDefaultsFromEnv, type OpenAiDefaults } from './models.ts';
import { registerImageEditRoute, registerImageRoutes } from './routes-images.ts';
import { registerSpeechRoutes } from './routes-speech.ts';
import { registerVideoRoutes } from './routes-videos.ts';

export interface OpenAiRouteOptions {
  /** Where OpenAI model and voice names go; from MEDIAGATE_OPENAI_* or the local providers. */
  defaults?: OpenAiDefaults;
  /** How long images and speech requests wait for their job; 10 minutes by default. */
  waitTimeoutMs?: number;
  /** Largest file in a multipart request (edits' images and mask, a video's reference), bytes; else MEDIAGATE_MAX_UPLOAD_BYTES. */
  maxUploadBytes?: number;
}

export function registerOpenAiRoutes(app: FastifyInstance, runtime: Runtime, options: OpenAiRouteOptions = {}): void {
  const hub = new EventHub(runtime.bus, (error) => runtime.logger.warn({ err: error }, 'openai routes: event listener failed'));
  app.addHook('onClose', () => hub.close());
  const context: OpenAiContext = {
    runtime,
    hub,
    defaults: options.defaults ?? openAiDefaultsFromEnv(),
    waitTimeoutMs: options.waitTimeoutMs ?? 10 * 60_000,
    // OpenAI takes up to 16 images per edit (plus a mask), each up to the upload limit. Files are
    // streamed to disk, and Fastify's bodyLimit does not bound a multipart stream: these are the limits.
    limits: { fileBytes: options.maxUploadBytes ?? runtime.settings.maxUploadBytes, files: 17, fieldBytes: 256 * 1024 },
  };
  registerImageRoutes(app, context);
  registerSpeechRoutes(app, context);
  // Multipart is accepted only by the routes that take files, in their own scope.
  void app.register(async (scope) => {
    await scope.register(multipart, { throwFileSizeLimit: true });
    registerImageEditRoute(scope, context);
    registerVideoRoutes(scope, context);
  });
}
