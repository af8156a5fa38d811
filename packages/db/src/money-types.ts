// The types of the money and preset stores (spending.ts, presets.ts), apart from their
// statements so the Repository interface can name them without importing any SQL.
import type { JobKind } from '@mediagate/core';

/** A JSON value as stored in jsonb. */
type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** One budget period and its limit, e.g. `{ period: 'day:2026-11-21', limitUsd: 50 }`. */
export interface PeriodLimit {
  period: string;
  limitUsd: number;
}

export type ReserveResult =
  | { ok: true }
  /** The first period the reservation would overrun, with what it already holds (reserved + spent). */
  | { ok: false; period: string; limitUsd: number; usedUsd: number };

export interface BudgetCounter {
  period: string;
  reservedUsd: number;
  spentUsd: number;
}

export const usageGroups = ['provider', 'model', 'day', 'key'] as const;
export type UsageGroup = (typeof usageGroups)[number];

export interface UsageFilter {
  tenantId: string;
  groupBy: UsageGroup;
  /** Attempts started at or after / strictly before these instants. */
  from?: Date;
  to?: Date;
}

export interface UsageRow {
  /** The group's value: "openai", "openai/gpt-image-1", "2026-11-21", or "openai/main" (key; "openai/-" without one). */
  group: string;
  jobs: number;
  attempts: number;
  succeeded: number;
  failed: number;
  costUsd: number;
}

export interface SpendingStore {
  /**
   * Holds `jobs`' estimates against every period in `limits` at once, or nothing when any period
   * would go over its limit. Counters that do not exist yet start at zero.
   */
  reserve(input: { tenantId: string; limits: PeriodLimit[]; jobs: { jobId: string; usd: number }[] }): Promise<ReserveResult>;
  /**
   * Moves a job's reservation out of the counters and its actual cost in, once: later calls (and
   * calls for jobs that reserved nothing) change nothing and answer false.
   */
  settle(jobId: string, actualUsd: number): Promise<boolean>;
  counters(tenantId: string, periods: readonly string[]): Promise<BudgetCounter[]>;
  /** Unsettled reservations of jobs that have ended, with the job's actual cost (0 when none). */
  endedUnsettled(limit: number): Promise<{ jobId: string; actualUsd: number }[]>;
  usage(filter: UsageFilter): Promise<UsageRow[]>;
}

export interface PresetRecord {
  tenantId: string;
  name: string;
  kind: JobKind | null;
  /** A route name or "provider/model". */
  model: string | null;
  params: { [key: string]: JsonValue };
  description: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type NewPreset = Pick<PresetRecord, 'tenantId' | 'name' | 'kind' | 'model' | 'params' | 'description'>;

/** Jobs of a tenant that named a preset and have ended, by how they ended. */
export interface PresetOutcome {
  preset: string;
  succeeded: number;
  failed: number;
  canceled: number;
}

export interface PresetStore {
  list(tenantId: string): Promise<PresetRecord[]>;
  get(tenantId: string, name: string): Promise<PresetRecord | undefined>;
  /** Creates or replaces; `created` says which. Replacing keeps createdAt. */
  put(preset: NewPreset): Promise<{ preset: PresetRecord; created: boolean }>;
  /** False when the tenant had no such preset. */
  delete(tenantId: string, name: string): Promise<boolean>;
  outcomes(tenantId: string): Promise<PresetOutcome[]>;
}

