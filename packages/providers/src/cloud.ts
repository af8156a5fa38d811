// The registry of cloud provider adapters: one line per provider, each pointed at its real API
// unless a base URL override (MEDIAGATE_BASE_URL_<PROVIDER>, a config file, a test fake) says otherwise.
import type { ProviderAdapter } from './contract.ts';
import { createReplicateProvider } from './replicate/replicate-provider.ts';
import { createFalProvider } from './fal/fal-provider.ts';
import { createLumaProvider } from './luma/luma-provider.ts';
import { createOpenAIProvider } from './openai/provider.ts';
import { createElevenLabsProvider } from './elevenlabs/provider.ts';
import { createRunwayProvider } from './runway/runway-provider.ts';
import { createBflProvider } from './bfl/provider.ts';
import { createStabilityProvider } from './stability/provider.ts';
import { createGoogleProvider } from './google/provider.ts';

export interface CloudProviderOptions {
  /** Replacement API base URLs by provider id, e.g. `{ openai: 'http://127.0.0.1:4010/v1' }`. */
  baseURLs?: Record<string, string>;
  /** Delay between polls of async operations (each adapter has its documented default). */
  pollIntervalMs?: number;
  /** Upper bound for one attempt (each adapter has its own default). */
  attemptTimeoutMs?: number;
}

/** The options one adapter factory receives: only what was actually set. */
export interface CloudAdapterOptions {
  baseURL?: string;
  pollIntervalMs?: number;
  attemptTimeoutMs?: number;
}

function optionsFor(id: string, options: CloudProviderOptions): CloudAdapterOptions {
  const baseURL = options.baseURLs?.[id];
  return {
    ...(baseURL === undefined ? {} : { baseURL }),
    ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
    ...(options.attemptTimeoutMs === undefined ? {} : { attemptTimeoutMs: options.attemptTimeoutMs }),
  };
}

/** An adapter factory: `create<Name>Provider`, whose options take at least these fields. */
export type CloudAdapterFactory = (options: CloudAdapterOptions) => ProviderAdapter;

/** One line per provider, keyed by its id (the provider part of "provider/model"). */
const factories: Record<string, CloudAdapterFactory> = {
  replicate: createReplicateProvider,
  fal: createFalProvider,
  luma: createLumaProvider,
  openai: createOpenAIProvider,
  elevenlabs: createElevenLabsProvider,
  runway: createRunwayProvider,
  bfl: createBflProvider,
  stability: createStabilityProvider,
  google: createGoogleProvider,
};

/** Every cloud adapter. They need keys to work, but are always listed (with their capabilities). */
export function createCloudProviders(options: CloudProviderOptions = {}): ProviderAdapter[] {
  return Object.entries(factories).map(([id, factory]) => factory(optionsFor(id, options)));
}
