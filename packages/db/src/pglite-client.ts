// The embedded database client: PGlite with Drizzle's result parsers installed once at start
// instead of being passed with every query.
import type { ParserOptions, QueryOptions, Results } from '@electric-sql/pglite';
import { PGlite, types } from '@electric-sql/pglite';

const asText = (value: string) => value;

/** What Drizzle's PGlite session passes per query: dates (and their arrays) left as text. */
const drizzleParsers: ParserOptions = {
  [types.TIMESTAMP]: asText,
  [types.TIMESTAMPTZ]: asText,
  [types.INTERVAL]: asText,
  [types.DATE]: asText,
  1231: asText, // numeric[]
  1115: asText, // timestamp[]
  1185: asText, // timestamptz[]
  1187: asText, // interval[]
  1182: asText, // date[]
};

/**
 * PGlite rebuilds its parser table for every query that brings its own `parsers`, which cost
 * ≈0.14 ms a query here, more than a primary-key lookup. The parsers Drizzle sends are always
 * the same, so they are installed at construction and dropped from each query's options.
 */
export class DrizzlePGlite extends PGlite {
  constructor(dataDir: string) {
    super(dataDir, { parsers: drizzleParsers });
  }

  override query<T>(query: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>> {
    if (options?.parsers === undefined) return super.query<T>(query, params, options);
    const { parsers: _sameAsInstalled, ...rest } = options;
    return super.query<T>(query, params, rest);
  }
}
