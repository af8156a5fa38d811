// The outcome of `mediagate generate` as printed: one line for people, one JSON object for scripts.
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { AssetView, JobView } from '@mediagate/api';

export interface OutputFile {
  path: string;
  bytes: number;
  mime: string;
  width: number | null;
  height: number | null;
  duration: number | null;
}

export interface GenerateResult {
  jobId: string;
  status: string;
  provider: string | null;
  model: string | null;
  outputs: OutputFile[];
  cost: number | null;
  error?: { class: string; message: string } | null;
}

/**
 * Saves a finished job's outputs (`-o` for the first) and describes the job. The same for a
 * local run and a server: both see the job as the HTTP API shows it.
 */
export async function saveResult(
  job: JobView & { outputs: AssetView[] },
  output: string | undefined,
  open: (asset: AssetView) => Promise<NodeJS.ReadableStream>,
): Promise<GenerateResult> {
  const outputs: OutputFile[] = [];
  for (const [index, asset] of job.outputs.entries()) {
    const target = outputPath(output ?? defaultOutputName(job.id, asset.mime), index);
    await pipeline(await open(asset), createWriteStream(target));
    outputs.push({
      path: target,
      bytes: asset.bytes,
      mime: asset.mime,
      width: asset.width,
      height: asset.height,
      duration: asset.duration_ms === null ? null : asset.duration_ms / 1000,
    });
  }
  return {
    jobId: job.id,
    status: job.status,
    provider: job.provider,
    model: job.model,
    outputs,
    cost: job.actual_cost_usd ?? job.estimated_cost_usd,
    error: job.error,
  };
}

/** Where output `index` goes: `-o` for the first, `name-2.ext`… for the rest. */
export function outputPath(base: string, index: number): string {
  if (index === 0) return base;
  const extension = path.extname(base);
  return `${base.slice(0, base.length - extension.length)}-${index + 1}${extension}`;
}

export function defaultOutputName(jobId: string, mime: string): string {
  const extension = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp', 'video/mp4': 'mp4', 'audio/wav': 'wav', 'audio/mpeg': 'mp3' }[mime] ?? 'bin';
  return `${jobId}.${extension}`;
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function printResult(result: GenerateResult, json: boolean): void {
  const first = result.outputs[0];
  if (json) {
    const summary = {
      jobId: result.jobId,
      status: result.status,
      provider: result.provider,
      model: result.model,
      output: first?.path ?? null,
      outputs: result.outputs.map((output) => output.path),
      bytes: first?.bytes ?? null,
      mime: first?.mime ?? null,
      width: first?.width ?? null,
      height: first?.height ?? null,
      duration: first?.duration ?? null,
      cost: result.cost,
      ...(result.error ? { error: result.error } : {}),
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  if (result.status !== 'succeeded') {
    process.stderr.write(`✗ ${result.jobId} ${result.status}${result.error ? `: ${result.error.class}: ${result.error.message}` : ''}\n`);
    return;
  }
  for (const output of result.outputs) {
    const dims = output.width && output.height ? ` ${output.width}×${output.height}` : '';
    const duration = output.duration !== null ? ` ${output.duration.toFixed(2)}s` : '';
    process.stdout.write(`✓ ${output.path} (${output.mime}${dims}${duration}, ${size(output.bytes)})\n`);
  }
  const cost = result.cost === null ? '' : `, $${result.cost.toFixed(4)}`;
  process.stdout.write(`  ${result.provider}/${result.model}, job ${result.jobId}${cost}\n`);
}
