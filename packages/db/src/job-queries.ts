// Deleting a job and everything recorded under it, in one transaction, and the list filters'
// conditions: the two job queries too large to sit inline in drizzle-repository.ts.
import type { SQL } from 'drizzle-orm';
import { and, eq, gt, inArray, lt, sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { JobListFilter } from './repository.ts';
import * as schema from './schema.ts';

const { assets, attempts, jobEvents, jobs, webhookDeliveries } = schema;

type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

/** The WHERE conditions of listJobs. */
export function jobListConditions(filter: JobListFilter): SQL[] {
  const conditions: SQL[] = [eq(jobs.tenantId, filter.tenantId)];
  if (filter.status !== undefined) conditions.push(eq(jobs.status, filter.status));
  if (filter.kind !== undefined) conditions.push(eq(jobs.kind, filter.kind));
  if (filter.provider !== undefined) {
    // The same "provider" /metrics groups by: the one that served the job, else its current target's.
    conditions.push(sql`coalesce(${jobs.provider}, ${jobs.targets} -> ${jobs.targetIndex} ->> 'provider') = ${filter.provider}`);
  }
  if (filter.batchId !== undefined) conditions.push(eq(jobs.batchId, filter.batchId));
  if (filter.createdAfter !== undefined) conditions.push(gt(jobs.createdAt, filter.createdAfter));
  if (filter.createdBefore !== undefined) conditions.push(lt(jobs.createdAt, filter.createdBefore));
  if (filter.before !== undefined) conditions.push(lt(jobs.id, filter.before));
  return conditions;
}

/**
 * Deletes the job's rows and answers the storage keys its assets held that no other asset row
 * references. The job row is locked first, so a transition racing the delete either lands before
 * it or finds no job. An asset row inserted for the same bytes after this commits can still lose
 * its file to the caller's removal; content-addressed outputs make that rare, not impossible.
 */
export async function deleteJobRows(db: Database, jobId: string, tenantId: string): Promise<{ unreferencedKeys: string[] } | undefined> {
  return db.transaction(async (tx) => {
    const [job] = await tx
      .select({ id: jobs.id })
      .from(jobs)
      .where(and(eq(jobs.id, jobId), eq(jobs.tenantId, tenantId)))
      .for('update');
    if (job === undefined) return undefined;
    const removed = await tx.delete(assets).where(eq(assets.jobId, jobId)).returning({ storageKey: assets.storageKey });
    await tx.delete(attempts).where(eq(attempts.jobId, jobId));
    await tx.delete(jobEvents).where(eq(jobEvents.jobId, jobId));
    await tx.delete(jobs).where(eq(jobs.id, jobId));
    // The delivery log keeps that a message was (or was not) sent, not the job's data; a message
    // not yet delivered ends failed, with nothing left to send.
    await tx.update(webhookDeliveries).set({ payload: null }).where(eq(webhookDeliveries.jobId, jobId));
    const keys = [...new Set(removed.map((row) => row.storageKey))];
    if (keys.length === 0) return { unreferencedKeys: [] };
    const still = await tx.selectDistinct({ storageKey: assets.storageKey }).from(assets).where(inArray(assets.storageKey, keys));
    const referenced = new Set(still.map((row) => row.storageKey));
    return { unreferencedKeys: keys.filter((key) => !referenced.has(key)) };
  });
}
