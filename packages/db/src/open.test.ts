// Opening and migrating: data on disk survives a reopen, migrations apply once, in any schema,
// and several processes migrating one PostgreSQL at the same time do not trip over each other.
import { readdir, readFile, rm } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newId } from '@mediagate/core';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate, migrationsFolder, openDatabase } from './open.ts';
import { dropSchema, postgresUrl, randomSchemaName, skipPostgres, unreachable } from './test-support.ts';

const migrationCount = (await readdir(migrationsFolder)).filter((name) => name.endsWith('.sql')).length;

describe('migrations', () => {
  it('are plain SQL that applies in whatever schema the search_path selects', async () => {
    for (const name of await readdir(migrationsFolder)) {
      if (!name.endsWith('.sql')) continue;
      expect(await readFile(join(migrationsFolder, name), 'utf8'), name).not.toMatch(/"public"\./);
    }
    expect(migrationCount).toBeGreaterThan(0);
  });
});

describe('PGlite on disk', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('keeps data across reopening, and re-running migrations is a no-op', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mediagate-db-'));
    dirs.push(dir);
    const dataDir = join(dir, 'nested', 'db');
    expect(await migrate({ dataDir })).toEqual({ backend: 'pglite', applied: migrationCount, total: migrationCount });

    const first = await openDatabase({ dataDir });
    const tenantId = newId('ten');
    const { job } = await first.createJob({
      id: newId('job'),
      tenantId,
      kind: 'speech',
      request: { kind: 'speech', prompt: 'hello', params: {} },
      targets: [{ provider: 'local', model: 'tts' }],
    });
    await first.appendEvent(job.id, 'progress', { percent: 40 }, { progress: 40 });
    await first.close();

    expect(await migrate({ dataDir })).toEqual({ backend: 'pglite', applied: 0, total: migrationCount });
    const second = await openDatabase({ dataDir });
    expect(await second.getJob(job.id, tenantId)).toMatchObject({ progress: 40, lastSeq: 2 });
    expect((await second.appendEvent(job.id, 'progress', {}))?.seq).toBe(3);
    await second.close();
  });
});

describe.skipIf(skipPostgres)('PostgreSQL', () => {
  it('lets concurrent processes migrate one database: each migration applies once', async () => {
    const schema = randomSchemaName();
    try {
      const results = await Promise.all(Array.from({ length: 4 }, () => migrate({ url: postgresUrl, schema, poolSize: 1 }))).catch((error: unknown) => {
        throw unreachable(error);
      });
      expect(results.map((result) => result.applied).sort()).toEqual([0, 0, 0, migrationCount]);
      expect(results.every((result) => result.total === migrationCount && result.backend === 'postgres')).toBe(true);
      const repository = await openDatabase({ url: postgresUrl, schema });
      expect(await repository.countJobs()).toMatchObject({ queued: 0 });
      await repository.close();
    } finally {
      await dropSchema(schema).catch(() => {});
    }
  });

  it('fails loudly, not silently, when the server cannot be reached', async () => {
    await expect(openDatabase({ url: 'postgresql://postgres@127.0.0.1:1/test' })).rejects.toThrow(/ECONNREFUSED/);
  });
});
