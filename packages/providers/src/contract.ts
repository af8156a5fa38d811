// The provider contract: what every adapter (local, simulated, cloud) implements. The engine only
// ever talks to providers through these types, so adding a provider touches nothing else.
import type { GenerationMode, GenerationParams, JobKind, ImageFormat, OutputFormat } from '@mediagate/core';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A reference image handed to a provider: a local file the worker has already verified. */
export interface ImageInput {
  path: string;
  mime: string;
  width: number;
  height: number;
  /**
   * A signed, expiring link to the same image on this server, for providers that fetch inputs
   * themselves; set for the worker's attempt when MEDIAGATE_PUBLIC_URL is configured.
   */
  url?: string;
}

/** The normalized request an adapter receives, already validated against its capabilities. */
export interface ProviderRequest {
  kind: JobKind;
  mode: GenerationMode;
  /** Model id inside the provider, e.g. "card" for local/card. */
  model: string;
  prompt: string;
  params: GenerationParams;
  images: ImageInput[];
  /** A PNG whose fully transparent pixels mark where images[0] may change; same size as it. */
  mask?: ImageInput;
  /** The earlier output this request remixes (request `remix_of`), on the provider that made it. */
  remix?: RemixSource;
}

/** An earlier job's output as the provider that made it knows it. */
export interface RemixSource {
  /** The Mediagate job remixed. */
  jobId: string;
  /** Where it was made; a remix runs on the same provider and model. */
  provider: string;
  model: string;
  /** The operation handle its successful attempt stored (e.g. `{ id: "video_…" }`). */
  operation: JsonValue;
  /** The params that job ran with (a remix keeps its length and size). */
  params: GenerationParams;
}

/** One output as the provider hands it back; the worker verifies and stores it. */
export type ProviderOutput =
  | { type: 'bytes'; data: Uint8Array; mime?: string }
  /** A file the adapter wrote under ctx.tmpDir; the worker moves it into the store. */
  | { type: 'file'; path: string; mime?: string }
  /** A URL to download right away (provider URLs expire); headers e.g. for an auth'd download. */
  | { type: 'url'; url: string; headers?: Record<string, string> };

export type SubmitResult =
  | { status: 'completed'; outputs: ProviderOutput[]; costUsd?: number }
  /** Accepted for async work; `operation` is persisted before any waiting and resumes polling. */
  | { status: 'pending'; operation: JsonValue };

export type PollResult =
  | { status: 'pending'; progress?: number; queuePosition?: number; message?: string }
  | { status: 'completed'; outputs: ProviderOutput[]; costUsd?: number };

/** A provider API key as the worker hands it to an adapter. The secret never leaves the adapter. */
export interface ProviderKey {
  id: string;
  secret: string;
}

export interface ProgressUpdate {
  /** 0–100. */
  progress?: number;
  queuePosition?: number;
  message?: string;
}

export interface CallContext {
  /** Aborted on cancel and on the per-attempt timeout. */
  signal: AbortSignal;
  /** The key chosen for this attempt; undefined for providers that need none. */
  key: ProviderKey | undefined;
  /** A private scratch directory for this attempt, removed after it. */
  tmpDir: string;
  progress(update: ProgressUpdate): void;
}

export interface Range {
  min: number;
  max: number;
}

export interface ImageCapabilities {
  /** Aspect ratios accepted as "W:H"; the first is the default. */
  aspectRatios: readonly string[];
  /** Whether any explicit width×height within the ranges is accepted. */
  explicitSize: boolean;
  width: Range;
  height: Range;
  /** Explicit sizes must be multiples of this. */
  multipleOf?: number;
  formats: readonly ImageFormat[];
  /** How many reference images the model takes (0: none). */
  maxReferenceImages: number;
}

export interface VideoCapabilities {
  aspectRatios: readonly string[];
  explicitSize: boolean;
  width: Range;
  height: Range;
  multipleOf?: number;
  /** Seconds. */
  duration: Range;
  /** When set, only these durations (seconds) are accepted. */
  durations?: readonly number[];
  fps?: Range;
  maxReferenceImages: number;
}

export interface SpeechCapabilities {
  voices: readonly string[];
  formats: readonly ('wav' | 'mp3')[];
  speed?: Range;
  maxCharacters: number;
}

export interface ModelCapabilities {
  kind: JobKind;
  modes: readonly GenerationMode[];
  /** Normalized params this model honors; any other param in a request is a 4xx, never dropped. */
  params: readonly (keyof GenerationParams)[];
  image?: ImageCapabilities;
  video?: VideoCapabilities;
  speech?: SpeechCapabilities;
  /** Outputs per request. */
  maxN: number;
  /** Output format when the request names none. */
  defaultFormat: OutputFormat;
  /** Submit returns a handle that is polled. */
  async: boolean;
  /** The provider can stop work already started. */
  cancel: boolean;
  /** Set when the provider has announced the model's shutdown. */
  deprecated?: string;
  /**
   * Reference images reach the provider only as URLs it fetches (ImageInput.url), so this model
   * takes them only when MEDIAGATE_PUBLIC_URL is configured.
   */
  referenceImageUrls?: boolean;
  /** Takes a mask with its first reference image (request `mask_asset_id`). */
  mask?: boolean;
  /** Can remix an output it made earlier (request `remix_of`). */
  remix?: boolean;
}

/** One line of pricing data, with where it came from. */
export interface PriceEntry {
  basis: 'per_image' | 'per_second' | 'per_1k_characters' | 'per_request' | 'free';
  usd: number;
  /** What the price applies to, e.g. "1024x1024 high". */
  applies?: string;
  source: string;
  /** YYYY-MM-DD the source was read. */
  date: string;
}

export interface CostEstimate {
  /** null when the model's price is unknown (e.g. a Replicate model outside the price list). */
  usd: number | null;
  /** Human-readable basis, e.g. "2 images × $0.04". */
  basis: string;
}

export interface ModelSpec {
  id: string;
  description: string;
  capabilities: ModelCapabilities;
  pricing: readonly PriceEntry[];
  estimate(request: ProviderRequest): CostEstimate;
}

export interface ProviderHealth {
  status: 'ok' | 'unavailable';
  message?: string;
}

export interface ProviderAdapter {
  /** The provider part of "provider/model". */
  id: string;
  displayName: string;
  /** Whether calls need a key from the provider's key pool. */
  requiresKey: boolean;
  /**
   * Whether resubmitting after a crash could cost money or create a duplicate. When false
   * (local providers), an ambiguous submit is simply run again.
   */
  paid: boolean;
  models: readonly ModelSpec[];
  /**
   * A model outside `models` this provider can run as `kind` (Replicate runs any model by name);
   * throws InputError naming `field` when `model` cannot be one.
   */
  resolveModel?(model: string, kind: JobKind, field: string): ModelSpec;
  /** Jobs one worker process runs against this provider at once. */
  defaultConcurrency: number;
  /** Upper bound for one attempt, submit through the last poll. */
  attemptTimeoutMs: number;
  /** Delay between polls of an async operation. */
  pollIntervalMs?: number;
  /** Provider-specific checks beyond the declared capabilities; throws InputError. */
  validate?(request: ProviderRequest): void;
  submit(request: ProviderRequest, ctx: CallContext): Promise<SubmitResult>;
  poll?(operation: JsonValue, ctx: CallContext): Promise<PollResult>;
  cancel?(operation: JsonValue, ctx: CallContext): Promise<void>;
  /** Whether the provider can work right now (binary present, server reachable…). */
  health?(): Promise<ProviderHealth>;
}
