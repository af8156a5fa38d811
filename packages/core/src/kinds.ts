// The vocabulary every other package shares: what a job produces and where it stands.
// Kept dependency-free so the SDK and CLI can import it cheaply.

/** What a job produces. */
export const jobKinds = ['image', 'video', 'speech'] as const;
export type JobKind = (typeof jobKinds)[number];

/** How a provider turns inputs into an output of a kind. */
export const generationModes = [
  'text-to-image',
  'image-to-image',
  'text-to-video',
  'image-to-video',
  'text-to-speech',
] as const;
export type GenerationMode = (typeof generationModes)[number];

/** Lifecycle of a job. A running job may be waiting on an async provider. */
export const jobStatuses = ['queued', 'running', 'succeeded', 'failed', 'canceled'] as const;
export type JobStatus = (typeof jobStatuses)[number];

export const terminalStatuses: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'canceled']);

export function isTerminal(status: JobStatus): boolean {
  return terminalStatuses.has(status);
}

/** Lifecycle of one attempt against one provider. */
export const attemptStatuses = [
  'submitting', // request sent, no operation handle stored yet
  'pending', // async provider accepted it; `operation` is stored
  'succeeded',
  'failed',
  'rate_limited',
  'canceled',
  'ambiguous', // the process died between sending the request and storing the handle
] as const;
export type AttemptStatus = (typeof attemptStatuses)[number];

export const imageFormats = ['png', 'jpeg', 'webp'] as const;
export type ImageFormat = (typeof imageFormats)[number];
export const videoFormats = ['mp4'] as const;
export const audioFormats = ['wav', 'mp3'] as const;
export type AudioFormat = (typeof audioFormats)[number];
export const outputFormats = [...imageFormats, ...videoFormats, ...audioFormats] as const;
export type OutputFormat = (typeof outputFormats)[number];

/** The mime type a format is stored and served as. */
export const formatMime: Record<OutputFormat, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  mp4: 'video/mp4',
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
};

/** Formats a kind may be produced in, first one is the default. */
export const kindFormats: Record<JobKind, readonly OutputFormat[]> = {
  image: imageFormats,
  video: videoFormats,
  speech: audioFormats,
};
