// NewJob.asyncCommit on PostgreSQL: the create statements turn synchronous_commit off for their
// own transaction only, and only when asked (all jobs of a batch asking). SHOW inside an open
// transaction reads the setting its commit will use; after it ends, the session's own is back.
import { newId } from '@mediagate/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJobs } from './batch-statements.ts';
import { createJob } from './job-statements.ts';
import { boundQuery } from './prepared.ts';
import { openPostgresForTest, postgresUrl, skipPostgres } from './test-support.ts';

describe.skipIf(skipPostgres)('asynchronous commit of a job insert (PostgreSQL)', () => {
  let client: pg.Client;
  let cleanup: (() => Promise<void>) | undefined;
  const tenant = newId('ten');

  beforeAll(async () => {
    const opened = await openPostgresForTest();
    cleanup = opened.cleanup;
    await opened.repository.ensureTenant(tenant, 'Acme');
    client = new pg.Client({ connectionString: postgresUrl, options: `-c search_path=${opened.schemaName}` });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await cleanup?.();
  });

  const request = { kind: 'image', prompt: 'a lighthouse', params: {} };
  const targets = [{ provider: 'simulated', model: 'fast' }];
  const single = (asyncCommit: boolean) =>
    boundQuery(createJob, [newId('job'), tenant, 'image', request, targets, 0, null, null, {}, null, null, null, null, null, asyncCommit]);
  const batch = (flags: boolean[]) =>
    boundQuery(createJobs, [
      flags.map((_, ord) => ({ ord, id: newId('job'), tenant_id: tenant, kind: 'image', request, targets, priority: 0, metadata: {} })),
      flags.every(Boolean),
    ]);

  /** synchronous_commit as the statement's transaction would commit with it. */
  async function commitSetting(query: ReturnType<typeof single>): Promise<string> {
    await client.query('BEGIN');
    try {
      expect((await client.query(query)).rowCount).toBe(1);
      return (await client.query('SHOW synchronous_commit')).rows[0].synchronous_commit as string;
    } finally {
      await client.query('ROLLBACK');
    }
  }

  it('commits the single insert asynchronously only when asked', async () => {
    expect(await commitSetting(single(true))).toBe('off');
    expect(await commitSetting(single(false))).toBe('on');
  });

  it('commits a batch asynchronously only when every job asks', async () => {
    expect(await commitSetting(batch([true, true, true]))).toBe('off');
    expect(await commitSetting(batch([true, false, true]))).toBe('on');
  });

  it('leaves the session as it was once the transaction ends', async () => {
    await client.query(single(true));
    expect((await client.query('SHOW synchronous_commit')).rows[0].synchronous_commit).toBe('on');
  });

  it('leaves the setting alone when the insert writes nothing (a repeated idempotency key)', async () => {
    const keyed = (asyncCommit: boolean) =>
      boundQuery(createJob, [newId('job'), tenant, 'image', request, targets, 0, 'once', null, {}, null, null, null, null, null, asyncCommit]);
    await client.query(keyed(false));
    await client.query('BEGIN');
    try {
      expect((await client.query(keyed(true))).rowCount).toBe(0);
      expect((await client.query('SHOW synchronous_commit')).rows[0].synchronous_commit).toBe('on');
    } finally {
      await client.query('ROLLBACK');
    }
  });
});
