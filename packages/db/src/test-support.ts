// Test helpers for running the database suites against a real PostgreSQL: a fresh schema per
// run, dropped afterwards, and a loud failure (not a skip) when the server is unreachable.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase } from './open.ts';
import type { Repository } from './repository.ts';

export const postgresUrl = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

/** Only an explicit opt-out skips PostgreSQL; CI must not pass quietly without it. */
export const skipPostgres = process.env.MEDIAGATE_SKIP_POSTGRES === '1';

export function randomSchemaName(): string {
  return `mg_test_${randomBytes(6).toString('hex')}`;
}

export async function dropSchema(schemaName: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schemaName}" CASCADE`);
  } finally {
    await client.end();
  }
}

export function unreachable(error: unknown): Error {
  const reason = error instanceof Error ? error.message : String(error);
  return new Error(
    `PostgreSQL at ${postgresUrl} is not usable (${reason}). Start it, point TEST_DATABASE_URL at one, ` +
      'or set MEDIAGATE_SKIP_POSTGRES=1 to run only the PGlite backend.',
    { cause: error },
  );
}

export async function openPostgresForTest(): Promise<{ repository: Repository; schemaName: string; cleanup(): Promise<void> }> {
  const schemaName = randomSchemaName();
  let repository: Repository;
  try {
    repository = await openDatabase({ url: postgresUrl, schema: schemaName, poolSize: 12 });
  } catch (error) {
    throw unreachable(error);
  }
  return {
    repository,
    schemaName,
    async cleanup() {
      await repository.close();
      await dropSchema(schemaName);
    },
  };
}
