// Server-side prepared statements for the job hot path: planned once per connection (PREPARE
// when the connection opens), then run with EXECUTE, through Drizzle, on either driver.
//
// Why: embedded PGlite spends most of a data-modifying CTE's time parsing and planning it (a
// createJob measured ≈0.8 ms as a plain query, ≈0.35 ms via EXECUTE). Drizzle cannot name a
// prepared statement for raw SQL on PGlite, so the names live in SQL and values are written as
// escaped literals, each cast by the PREPARE's declared parameter type. On PostgreSQL proper the
// same statements go out with bound parameters instead (`boundQuery`): node-postgres prepares
// them by name on each connection, and values travel as they are, neither escaped nor parsed
// out of the SQL text.
import type { SQL } from 'drizzle-orm';
import { sql } from 'drizzle-orm';

export interface PreparedStatement {
  readonly name: string;
  /** SQL types of $1, $2, …, in order. */
  readonly parameterTypes: readonly string[];
  readonly text: string;
  /** `text` with each parameter cast to its declared type, for a protocol-level prepare. */
  readonly boundText: string;
}

export function defineStatement(name: string, parameterTypes: readonly string[], text: string): PreparedStatement {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid statement name ${name}`);
  const boundText = text.trim().replace(/\$(\d+)\b/g, (parameter: string, index: string) => {
    const type = parameterTypes[Number(index) - 1];
    if (type === undefined) throw new Error(`${name} uses ${parameter} but declares ${parameterTypes.length} parameters`);
    return `(${parameter}::${type})`;
  });
  return { name, parameterTypes, text, boundText };
}

/** The PREPARE commands for statements, as one script to run when a connection opens. */
export function prepareScript(statements: readonly PreparedStatement[]): string {
  return statements
    .map((statement) => `PREPARE ${statement.name} (${statement.parameterTypes.join(', ')}) AS ${statement.text.trim()};`)
    .join('\n');
}

/**
 * A value as a SQL literal for a parameter of `type`: `bindValue`'s text, quoted. jsonb
 * parameters take any JS value as JSON (so a string is stored as a JSON string); others take
 * strings, numbers and booleans. Text uses the E'' form with backslashes and quotes doubled,
 * exact whatever `standard_conforming_strings` says.
 */
export function literal(value: unknown, type: string): string {
  const text = bindValue(value, type);
  if (text === null) return 'NULL';
  if (type !== 'jsonb' && typeof value === 'number') return `'${text}'`;
  if (type !== 'jsonb' && typeof value === 'boolean') return text.toUpperCase();
  return `E'${text.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}

function checkArity(statement: PreparedStatement, values: readonly unknown[]): void {
  const types = statement.parameterTypes;
  if (values.length !== types.length) {
    throw new Error(`${statement.name} takes ${types.length} values, got ${values.length}`);
  }
}

export function execute(statement: PreparedStatement, values: readonly unknown[]): SQL {
  checkArity(statement, values);
  const types = statement.parameterTypes;
  const args = values.length === 0 ? '' : `(${values.map((value, index) => literal(value, types[index] ?? 'text')).join(', ')})`;
  return sql.raw(`EXECUTE ${statement.name}${args}`);
}

/** A statement with bound parameters, as node-postgres takes it (prepared once per connection by name). */
export interface BoundQuery {
  name: string;
  text: string;
  values: (string | null)[];
}

/** The text form of a value for a parameter of `type`, checked: refused when it could not be stored exactly. */
export function bindValue(value: unknown, type: string): string | null {
  if (value === null || value === undefined) return null;
  // JSON text escapes NUL itself (and jsonb refuses \u0000 either way).
  if (type === 'jsonb') return JSON.stringify(value);
  switch (typeof value) {
    case 'string':
      return checked(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`cannot store the number ${value}`);
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      throw new TypeError(`cannot pass a ${typeof value} as ${type}`);
  }
}

function checked(text: string): string {
  if (text.includes('\0')) throw new TypeError('text containing NUL characters cannot be stored');
  return text;
}

export function boundQuery(statement: PreparedStatement, values: readonly unknown[]): BoundQuery {
  checkArity(statement, values);
  const types = statement.parameterTypes;
  return {
    name: statement.name,
    text: statement.boundText,
    values: values.map((value, index) => bindValue(value, types[index] ?? 'text')),
  };
}
