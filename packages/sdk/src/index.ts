// The typed client for Mediagate's HTTP API: `new Mediagate({ baseURL })`, then jobs, assets,
// uploads and providers. Depends on no server code at runtime; its types are the API's own.
export { Mediagate } from './client.ts';
export type { ClientOptions } from './http.ts';
export { MediagateConnectionError, MediagateError, MediagateTimeoutError } from './errors.ts';
export { EventStreamUnavailableError, type JobEventsOptions } from './job-events.ts';
export type { CreateJobOptions } from './jobs.ts';
export type { WaitOptions } from './job-wait.ts';
export type { DownloadResult } from './assets.ts';
export { parseEventStream, type SseEvent } from './sse-parser.ts';
export type * from './types.ts';
