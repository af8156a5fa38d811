// Shared by the simulated provider's tests: requests, call contexts and error capture, so each
// test reads as the behaviour it checks.
import { ProviderError, type GenerationParams } from '@mediagate/core';
import { expect } from 'vitest';
import type { CallContext, ProviderRequest } from '../contract.ts';
import { modeFor } from '../validate.ts';
import { findSimulatedModel } from './models.ts';

export function simulatedRequest(model: string, prompt: string, params: GenerationParams = {}): ProviderRequest {
  const kind = findSimulatedModel(model)?.capabilities.kind ?? 'image';
  return { kind, mode: modeFor(kind, 0), model, prompt, params, images: [] };
}

export function context(secret?: string, signal: AbortSignal = new AbortController().signal): CallContext {
  return {
    signal,
    key: secret === undefined ? undefined : { id: `key-${secret}`, secret },
    tmpDir: '/nonexistent',
    progress: () => undefined,
  };
}

export async function providerError(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Width and height from a PNG's IHDR chunk. */
export function pngSize(data: Uint8Array): { width: number; height: number } {
  const view = Buffer.from(data);
  return { width: view.readUInt32BE(16), height: view.readUInt32BE(20) };
}
