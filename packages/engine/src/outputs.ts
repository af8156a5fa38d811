// Turns what a provider handed back into verified, stored assets. Every output goes through a
// local file, is probed from its bytes, and only then moves into the content-addressed store.
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ProviderError, newId, type JobKind } from '@mediagate/core';
import type { JobRecord, NewAsset } from '@mediagate/db';
import { MediaError, verifyMedia } from '@mediagate/storage';
import type { ProviderOutput } from '@mediagate/providers';
import { downloadToFile } from './download.ts';
import type { Runtime } from './runtime.ts';

const expectedMedia: Record<JobKind, 'image' | 'video' | 'audio'> = { image: 'image', video: 'video', speech: 'audio' };

async function materialize(output: ProviderOutput, file: string, runtime: Runtime, signal: AbortSignal): Promise<void> {
  if (output.type === 'bytes') await writeFile(file, output.data);
  else if (output.type === 'file') await rename(output.path, file);
  else {
    await downloadToFile(output.url, file, {
      maxBytes: runtime.settings.maxOutputBytes,
      signal,
      ...(output.headers ? { headers: output.headers } : {}),
    });
  }
}

export async function storeOutputs(
  runtime: Runtime,
  job: JobRecord,
  outputs: readonly ProviderOutput[],
  tmpDir: string,
  signal: AbortSignal,
): Promise<NewAsset[]> {
  if (outputs.length === 0) throw new ProviderError('malformed', 'the provider reported success but returned no output');
  const assets: NewAsset[] = [];
  for (const [index, output] of outputs.entries()) {
    const file = path.join(tmpDir, `output-${index}`);
    await materialize(output, file, runtime, signal);
    let info;
    try {
      info = await verifyMedia(file, expectedMedia[job.kind]);
    } catch (error) {
      if (error instanceof MediaError) throw new ProviderError('output_invalid', `output ${index + 1}: ${error.message}`, { cause: error });
      throw error;
    }
    const stored = await runtime.store.putFile(file, { move: true });
    assets.push({
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
    });
  }
  return assets;
}
