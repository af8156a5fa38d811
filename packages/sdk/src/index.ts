// The typed client for Mediagate's HTTP API: `new Mediagate({ baseURL, apiKey })`, then jobs,
// assets, uploads, providers, webhooks, presets and usage; `new MediagateAdmin({ baseURL,
// adminKey })` for tenant and provider keys. No server code at runtime; its types are the API's.
export { Mediagate } from './client.ts';
export { MediagateAdmin, type AdminClientOptions } from './admin.ts';
export type { ClientOptions } from './http.ts';
export {
  MediagateAuthenticationError,
  MediagateBudgetExceededError,
  MediagateConflictError,
  MediagateConnectionError,
  MediagateError,
  MediagateFanOutError,
  MediagateNotFoundError,
  MediagatePayloadTooLargeError,
  MediagateRateLimitError,
  MediagateTimeoutError,
  MediagateUnsupportedMediaTypeError,
  type BudgetName,
} from './errors.ts';
export type { WebhookEndpointUpdate } from './webhooks.ts';
export { EventStreamUnavailableError, type JobEventsOptions } from './job-events.ts';
export type { TenantEventsOptions } from './tenant-events.ts';
export type { CreateJobOptions } from './jobs.ts';
export type { WaitOptions } from './job-wait.ts';
export type { DownloadResult } from './assets.ts';
export { parseEventStream, type SseEvent } from './sse-parser.ts';
export type * from './types.ts';
