// Opens the Repository on PostgreSQL (DATABASE_URL, fleet) or embedded PGlite (all-in-one) and
// brings its schema up to date with the SQL migrations in db/ at the repository root.
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { DrizzleRepository } from './drizzle-repository.ts';
import { batchStatements } from './batch-statements.ts';
import { jobStatements } from './job-statements.ts';
import { DrizzlePGlite } from './pglite-client.ts';
import { startPgliteThread } from './pglite-thread.ts';
import type { BoundQuery } from './prepared.ts';
import { prepareScript } from './prepared.ts';
import type { Repository } from './repository.ts';
import * as schema from './schema.ts';

/** Resolved from this file, not the working directory, so `mediagate` runs from anywhere. */
export const migrationsFolder = fileURLToPath(new URL('../../../db', import.meta.url));

export const defaultDataDir = './.mediagate/db';

export interface OpenDatabaseOptions {
  /** A postgres:// URL (DATABASE_URL). When set, PostgreSQL is used and `dataDir` is ignored. */
  url?: string;
  /** PGlite data directory, created if missing; `memory://` keeps the database in memory. */
  dataDir?: string;
  /** PostgreSQL connection pool size. */
  poolSize?: number;
  /**
   * A schema to create and use instead of `public` (tables and the migrations table alike);
   * tests use one per run to stay isolated on a shared server.
   */
  schema?: string;
  /**
   * PGlite only: run it on a worker thread behind a Unix socket and talk to it through
   * node-postgres (pglite-thread.ts), so its work runs beside the main thread's.
   */
  thread?: boolean;
}

export interface MigrationResult {
  backend: 'postgres' | 'pglite';
  /** Migrations applied by this call; 0 when the database was already up to date. */
  applied: number;
  /** Migrations recorded in the database afterwards. */
  total: number;
}

const migrationsTable = '__drizzle_migrations';

/** Run on every new connection, after migrations, before the repository uses it. */
const prepareStatements = prepareScript([...jobStatements, ...batchStatements]);

function quoteSchema(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`invalid schema name ${JSON.stringify(name)}: use lowercase letters, digits and _`);
  return `"${name}"`;
}

type Query = (text: string, params?: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;

async function countApplied(query: Query, migrationsSchema: string): Promise<number> {
  const qualified = `${quoteSchema(migrationsSchema)}."${migrationsTable}"`;
  const { rows: found } = await query('SELECT to_regclass($1) IS NOT NULL AS present', [qualified]);
  if (found[0]?.present !== true) return 0;
  const { rows } = await query(`SELECT count(*)::int AS total FROM ${qualified}`);
  return Number(rows[0]?.total ?? 0);
}

interface Opened {
  repository: Repository;
  migration: MigrationResult;
}

function connectionConfig(url: string, schemaName: string | undefined): pg.ClientConfig {
  return {
    connectionString: url,
    ...(schemaName === undefined ? {} : { options: `-c search_path=${quoteSchema(schemaName)}` }),
  };
}

/** How openPostgres treats a server that is embedded PGlite on a thread (one session for every connection). */
interface EmbeddedServer {
  /** Closes the thread after the pool. */
  afterClose: () => Promise<void>;
}

async function openPostgres(url: string, options: OpenDatabaseOptions, embedded?: EmbeddedServer): Promise<Opened> {
  const schemaName = options.schema;
  // Migrations use a connection of their own: pool connections prepare statements against
  // tables that must exist by then.
  const migration = await migratePostgres(connectionConfig(url, schemaName), schemaName);
  const pool = new pg.Pool({
    ...connectionConfig(url, schemaName),
    max: options.poolSize ?? 10,
    // PGlite keeps one session across connections: keep the one connection open, without it
    // keeping the process alive (as in-process PGlite does not).
    ...(embedded ? { idleTimeoutMillis: 0, allowExitOnIdle: true } : {}),
    // Awaited before the pool hands a new connection out; a failure reaches that caller.
    // PostgreSQL proper gets the statements with bound parameters, prepared by node-postgres on
    // first use; embedded PGlite keeps EXECUTE, since the thread hands it each protocol message
    // of a bound query separately.
    onConnect: async (client) => {
      if (!embedded) return;
      // A reconnect to PGlite finds the earlier connection's session, prepared statements and all.
      await client.query('DISCARD ALL');
      await client.query(prepareStatements);
    },
  });
  // An idle connection dropped by the server must not crash the process; the next query
  // through the pool reconnects or reports the failure to its caller.
  pool.on('error', () => {});
  const db = drizzlePg({ client: pool, schema });
  // A quarter of the pool per kind of batch: the three hot transitions then overlap on the
  // server without starving other queries.
  const parallel = Math.max(1, Math.floor((options.poolSize ?? 10) / 4));
  const close = async () => {
    await pool.end();
    await embedded?.afterClose();
  };
  const bind = embedded ? undefined : (query: BoundQuery) => pool.query<Record<string, unknown>>(query);
  return { repository: new DrizzleRepository(db, close, { parallel, bind }), migration };
}

/**
 * Under a session advisory lock, so processes starting together against one server take turns:
 * drizzle's migrator alone would race on creating its schema and table.
 */
async function migratePostgres(config: pg.ClientConfig, schemaName: string | undefined): Promise<MigrationResult> {
  const migrationsSchema = schemaName ?? 'drizzle';
  const client = new pg.Client(config);
  await client.connect();
  try {
    const query: Query = (text, params) => client.query(text, params);
    await query('SELECT pg_advisory_lock(hashtext($1))', [`mediagate:migrate:${migrationsSchema}`]);
    try {
      if (schemaName !== undefined) await query(`CREATE SCHEMA IF NOT EXISTS ${quoteSchema(schemaName)}`);
      const before = await countApplied(query, migrationsSchema);
      await migratePg(drizzlePg({ client }), { migrationsFolder, migrationsSchema, migrationsTable });
      const total = await countApplied(query, migrationsSchema);
      return { backend: 'postgres', applied: total - before, total };
    } finally {
      await query('SELECT pg_advisory_unlock(hashtext($1))', [`mediagate:migrate:${migrationsSchema}`]);
    }
  } finally {
    await client.end();
  }
}

async function openPglite(options: OpenDatabaseOptions): Promise<Opened> {
  const dataDir = options.dataDir ?? defaultDataDir;
  if (!dataDir.includes('://')) await mkdir(dataDir, { recursive: true });
  const client = new DrizzlePGlite(dataDir);
  try {
    await client.waitReady;
    const schemaName = options.schema;
    const migrationsSchema = schemaName ?? 'drizzle';
    if (schemaName !== undefined) {
      await client.exec(`CREATE SCHEMA IF NOT EXISTS ${quoteSchema(schemaName)}; SET search_path TO ${quoteSchema(schemaName)}`);
    }
    const query: Query = (text, params) => client.query<Record<string, unknown>>(text, params);
    const before = await countApplied(query, migrationsSchema);
    const db = drizzlePglite({ client, schema });
    await migratePglite(db, { migrationsFolder, migrationsSchema, migrationsTable });
    const total = await countApplied(query, migrationsSchema);
    const migration: MigrationResult = { backend: 'pglite', applied: total - before, total };
    await client.exec(prepareStatements);
    return { repository: new DrizzleRepository(db, () => client.close()), migration };
  } catch (error) {
    await client.close();
    throw error;
  }
}

async function openPgliteThread(options: OpenDatabaseOptions): Promise<Opened> {
  const dataDir = options.dataDir ?? defaultDataDir;
  if (!dataDir.includes('://')) await mkdir(dataDir, { recursive: true });
  const thread = await startPgliteThread(dataDir);
  try {
    // One connection: PGlite is a single session, and the socket serves one client at a time.
    const opened = await openPostgres(thread.url, { ...options, poolSize: 1 }, { afterClose: () => thread.close() });
    return { ...opened, migration: { ...opened.migration, backend: 'pglite' } };
  } catch (error) {
    await thread.close();
    throw error;
  }
}

function open(options: OpenDatabaseOptions): Promise<Opened> {
  if ((options.url === undefined || options.url === '') && options.thread === true) return openPgliteThread(options);
  return options.url === undefined || options.url === '' ? openPglite(options) : openPostgres(options.url, options);
}

/** Opens the database named by the options and applies pending migrations first. */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Repository> {
  return (await open(options)).repository;
}

/** Applies pending migrations and closes again (`mediagate migrate`). */
export async function migrate(options: OpenDatabaseOptions = {}): Promise<MigrationResult> {
  const { repository, migration } = await open(options);
  await repository.close();
  return migration;
}
