// The JSON shapes of jobs and assets as the API returns them. One place, so the HTTP API, the
// CLI's --json and the webhook payloads (sent from the workers) say the same thing.
import type { AssetRecord, AttemptRecord, JobRecord } from '@mediagate/db';

export interface AssetView {
  id: string;
  url: string;
  mime: string;
  kind: string;
  bytes: number;
  sha256: string;
  width: number | null;
  height: number | null;
  duration_ms: number | null;
}

export function assetView(asset: AssetRecord): AssetView {
  return {
    id: asset.id,
    url: `/v1/assets/${asset.id}/content`,
    mime: asset.mime,
    kind: asset.kind,
    bytes: asset.size,
    sha256: asset.sha256,
    width: asset.width,
    height: asset.height,
    duration_ms: asset.durationMs,
  };
}

export function attemptView(attempt: AttemptRecord) {
  return {
    id: attempt.id,
    number: attempt.number,
    provider: attempt.provider,
    model: attempt.model,
    key_id: attempt.keyId,
    status: attempt.status,
    error: attempt.error,
    cost_usd: attempt.costUsd,
    started_at: attempt.startedAt.toISOString(),
    submitted_at: attempt.submittedAt?.toISOString() ?? null,
    finished_at: attempt.finishedAt?.toISOString() ?? null,
  };
}

export function jobView(job: JobRecord, extra: { attempts?: AttemptRecord[]; outputs?: AssetRecord[] } = {}) {
  return {
    id: job.id,
    object: 'job' as const,
    kind: job.kind,
    status: job.status,
    progress: job.progress,
    prompt: job.request.prompt,
    params: job.request.params,
    image_asset_ids: job.request.image_asset_ids ?? [],
    mask_asset_id: job.request.mask_asset_id ?? null,
    remix_of: job.request.remix_of ?? null,
    targets: job.targets.map((target) => `${target.provider}/${target.model}`),
    provider: job.provider,
    model: job.model,
    error: job.error,
    estimated_cost_usd: job.estimatedCostUsd,
    actual_cost_usd: job.actualCostUsd,
    priority: job.priority,
    metadata: job.metadata,
    last_event_seq: job.lastSeq,
    created_at: job.createdAt.toISOString(),
    started_at: job.startedAt?.toISOString() ?? null,
    finished_at: job.finishedAt?.toISOString() ?? null,
    ...(extra.attempts ? { attempts: extra.attempts.map(attemptView) } : {}),
    ...(extra.outputs ? { outputs: extra.outputs.map(assetView) } : {}),
  };
}
export type JobView = ReturnType<typeof jobView>;
