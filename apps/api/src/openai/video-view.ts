// The OpenAI video object for a Mediagate video job: its id is the job id, its status and
// progress are the job's in OpenAI's words, seconds and size what was asked (or made).
import type { AssetRecord, JobRecord } from '@mediagate/db';
import type { JobStatus } from '@mediagate/core';

export type VideoStatus = 'queued' | 'in_progress' | 'completed' | 'failed';

const statuses: Record<JobStatus, VideoStatus> = {
  queued: 'queued',
  running: 'in_progress',
  succeeded: 'completed',
  failed: 'failed',
  canceled: 'failed',
};

export function videoStatus(job: JobRecord): VideoStatus {
  return statuses[job.status];
}

function unixSeconds(date: Date | null): number | null {
  return date === null ? null : Math.floor(date.getTime() / 1000);
}

function sizeOf(job: JobRecord, video: AssetRecord | undefined): string {
  const width = video?.width ?? job.request.params.width;
  const height = video?.height ?? job.request.params.height;
  if (width !== null && width !== undefined && height !== null && height !== undefined) return `${width}x${height}`;
  return job.request.params.aspect_ratio ?? '';
}

function errorOf(job: JobRecord): { code: string; message: string } | null {
  if (job.status === 'canceled') return { code: 'canceled', message: 'the job was canceled' };
  if (job.status !== 'failed') return null;
  return { code: job.error?.class ?? 'internal', message: job.error?.message ?? 'no reason recorded' };
}

export function videoView(job: JobRecord, outputs: readonly AssetRecord[] = []) {
  const video = outputs.find((asset) => asset.kind === 'video');
  const status = videoStatus(job);
  const seconds = job.request.params.duration ?? (video?.durationMs ? video.durationMs / 1000 : undefined);
  return {
    id: job.id,
    object: 'video' as const,
    model: job.metadata.openai_model ?? job.request.model ?? `${job.targets[0]?.provider}/${job.targets[0]?.model}`,
    status,
    progress: status === 'completed' ? 100 : Math.max(0, Math.min(100, Math.round(job.progress))),
    created_at: unixSeconds(job.createdAt) ?? 0,
    completed_at: status === 'completed' ? unixSeconds(job.finishedAt) : null,
    expires_at: null,
    prompt: job.request.prompt,
    remixed_from_video_id: job.request.remix_of ?? null,
    seconds: seconds === undefined ? '' : String(seconds),
    size: sizeOf(job, video),
    error: errorOf(job),
  };
}
export type VideoView = ReturnType<typeof videoView>;
