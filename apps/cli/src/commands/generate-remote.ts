// `mediagate generate --server URL`: submit to a running Mediagate, follow the job, download
// the outputs. Nothing runs locally but the download.
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { GenerationRequestInput } from '@mediagate/core';
import type { AssetView, JobView, fanOutView } from '@mediagate/api';
import type { ApiClient } from '../client.ts';
import type { ProgressDisplay } from '../progress.ts';
import { saveResult, type GenerateResult } from '../result.ts';
import { probeImageFile } from '@mediagate/engine';

type JobWithOutputs = JobView & { outputs: AssetView[] };

/** What POST /v1/jobs answers for a fan-out route: a job per target, under one batch. */
type FanOutAnswer = ReturnType<typeof fanOutView>;

/** Thrown when the server ran a fan-out route: its jobs go on there; this command follows one job. */
export class FanOutStartedError extends Error {
  override readonly name = 'FanOutStartedError';
  constructor(answer: FanOutAnswer) {
    super(
      `model: "${answer.route}" is a fan-out route: the server started ${answer.jobs.length} jobs, one per target ` +
        `(${answer.jobs.map((job) => `${job.id} on ${job.target}`).join(', ')}), and they go on there; ` +
        `generate follows one job, so follow these with GET /v1/jobs?batch_id=${answer.batch_id}`,
    );
  }
}

export async function generateRemote(
  client: ApiClient,
  request: GenerationRequestInput,
  options: { image?: string; mask?: string; output?: string },
  progress: ProgressDisplay,
): Promise<GenerateResult> {
  const input = { ...request };
  const upload = async (file: string, field: string): Promise<string> => {
    const image = await probeImageFile(file, field);
    const stored = await client.request<AssetView>('POST', '/v1/uploads', new Uint8Array(await readFile(file)), { 'content-type': image.mime });
    return stored.id;
  };
  if (options.image !== undefined) input.image_asset_ids = [await upload(options.image, 'image')];
  if (options.mask !== undefined) input.mask_asset_id = await upload(options.mask, 'mask');
  const answer = await client.request<JobWithOutputs | FanOutAnswer>('POST', '/v1/jobs', input);
  if ('object' in answer && answer.object === 'fan_out') {
    progress.stop();
    throw new FanOutStartedError(answer);
  }
  let job = answer as JobWithOutputs;
  const onInterrupt = () => {
    void client.raw('POST', `/v1/jobs/${job.id}/cancel`).finally(() => process.exit(130));
  };
  process.once('SIGINT', onInterrupt);
  try {
    while (!['succeeded', 'failed', 'canceled'].includes(job.status)) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      job = await client.request<JobWithOutputs>('GET', `/v1/jobs/${job.id}`);
      progress.update(job.progress, job.status);
    }
  } finally {
    process.off('SIGINT', onInterrupt);
    progress.stop();
  }
  return saveResult(job, options.output, async (asset) => {
    const response = await client.raw('GET', asset.url);
    if (response.body === null) throw new Error(`empty body for ${asset.url}`);
    return Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
  });
}
