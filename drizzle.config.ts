// drizzle-kit configuration: turns packages/db/src/schema.ts into reviewed SQL migrations in db/.
// The database package applies them at open, from any working directory.
//
// After changing the schema, generate the next migration (offline, no database needed):
//   npx drizzle-kit generate --config drizzle.config.ts --name <what-changed>
// then review the SQL and remove any `"public".` qualifier drizzle-kit writes into foreign keys,
// so a migration applies in whatever schema the connection's search_path selects (the tests run
// each PostgreSQL suite in its own schema). A test in packages/db checks for such qualifiers.
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './packages/db/src/schema.ts',
  out: './db',
  strict: true,
  verbose: true,
});
