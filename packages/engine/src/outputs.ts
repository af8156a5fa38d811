// Turns what a provider handed back into verified, stored assets. Every output is probed from its
// bytes before it enters the content-addressed store: bytes in memory are checked there, anything
// else through a scratch file first.
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ProviderError, newId, type JobKind } from '@mediagate/core';
import type { JobRecord, NewAsset } from '@mediagate/db';
import { MediaError, verifyMedia, verifyMediaBytes, type MediaInfo, type StoredObject } from '@mediagate/storage';
import type { ProviderOutput } from '@mediagate/providers';
import { downloadToFile } from './download.ts';
import type { Runtime } from './runtime.ts';

const expectedMedia: Record<JobKind, 'image' | 'video' | 'audio'> = { image: 'image', video: 'video', speech: 'audio' };

/**
 * The bytes of outputs stored from memory in this process, by their asset row, for as long as
 * that row object lives: a caller answering with the bytes (the OpenAI image route's b64_json)
 * need not read back from the store what it just wrote there.
 */
const heldBytes = new WeakMap<NewAsset, Uint8Array>();

/** An output's bytes when this process stored them from memory and still holds its row. */
export function outputBytes(asset: NewAsset): Uint8Array | undefined {
  return heldBytes.get(asset);
}

async function materialize(output: ProviderOutput, file: string, runtime: Runtime, signal: AbortSignal): Promise<void> {
  if (output.type === 'bytes') await writeFile(file, output.data);
  else if (output.type === 'file') await rename(output.path, file);
  else {
    await downloadToFile(output.url, file, {
      maxBytes: runtime.settings.maxOutputBytes,
      signal,
      fetch: runtime.outputFetch,
      ...(output.headers ? { headers: output.headers } : {}),
    });
  }
}

function invalid(index: number, error: unknown): unknown {
  return error instanceof MediaError ? new ProviderError('output_invalid', `output ${index + 1}: ${error.message}`, { cause: error }) : error;
}

/**
 * Bytes in memory are checked before they touch the disk, then written once, into the store,
 * which flushes them while the caller goes on (StoredOutputs.flushed).
 */
async function storeBytes(runtime: Runtime, job: JobRecord, data: Uint8Array, index: number): Promise<{ info: MediaInfo; stored: StoredObject } | undefined> {
  let info: MediaInfo | undefined;
  try {
    info = await verifyMediaBytes(data, expectedMedia[job.kind]);
  } catch (error) {
    throw invalid(index, error);
  }
  if (info === undefined) return undefined;
  return { info, stored: await runtime.store.put(data, { maxBytes: runtime.settings.maxOutputBytes, flushLater: true }) };
}

async function storeFile(
  runtime: Runtime,
  job: JobRecord,
  output: ProviderOutput,
  file: string,
  signal: AbortSignal,
  index: number,
): Promise<{ info: MediaInfo; stored: StoredObject }> {
  await materialize(output, file, runtime, signal);
  let info: MediaInfo;
  try {
    info = await verifyMedia(file, expectedMedia[job.kind]);
  } catch (error) {
    throw invalid(index, error);
  }
  return { info, stored: await runtime.store.putFile(file, { move: true }) };
}

export interface StoredOutputs {
  assets: NewAsset[];
  /**
   * Settles when every object is on disk. Each is in place under its name already, so the job's
   * completion may commit meanwhile; whoever reports the job's end waits for both.
   */
  flushed: Promise<unknown>;
}

export async function storeOutputs(
  runtime: Runtime,
  job: JobRecord,
  outputs: readonly ProviderOutput[],
  scratch: () => string,
  signal: AbortSignal,
): Promise<StoredOutputs> {
  if (outputs.length === 0) throw new ProviderError('malformed', 'the provider reported success but returned no output');
  const assets: NewAsset[] = [];
  const flushes: Promise<void>[] = [];
  for (const [index, output] of outputs.entries()) {
    if (output.type === 'bytes' && output.data.byteLength > runtime.settings.maxOutputBytes) {
      throw new ProviderError('output_invalid', `output ${index + 1} is over the ${runtime.settings.maxOutputBytes}-byte limit`);
    }
    const fromMemory = output.type === 'bytes' ? await storeBytes(runtime, job, output.data, index) : undefined;
    const { info, stored } = fromMemory ?? (await storeFile(runtime, job, output, path.join(scratch(), `output-${index}`), signal, index));
    const asset: NewAsset = {
      id: newId('ast'),
      tenantId: job.tenantId,
      jobId: job.id,
      sha256: stored.sha256,
      size: stored.size,
      mime: info.mime,
      kind: info.kind,
      width: info.width ?? null,
      height: info.height ?? null,
      durationMs: info.durationMs ?? null,
      storageKey: stored.key,
    };
    if (fromMemory && output.type === 'bytes') heldBytes.set(asset, output.data);
    if (stored.flushed) flushes.push(stored.flushed);
    assets.push(asset);
  }
  return { assets, flushed: Promise.all(flushes) };
}
