// @mediagate/db: the Repository interface, and openDatabase/migrate to get one on PGlite or
// PostgreSQL with its schema up to date. The Drizzle schema is exported for tools and types.
export * from './repository.ts';
export * from './webhooks.ts';
export * from './money-types.ts';
export * from './spending.ts';
export * from './presets.ts';
export { openDatabase, migrate, migrationsFolder, defaultDataDir } from './open.ts';
export type { OpenDatabaseOptions, MigrationResult } from './open.ts';
export * as schema from './schema.ts';
