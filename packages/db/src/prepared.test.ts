// The literal encoding behind EXECUTE: every value must reach PostgreSQL exactly as given,
// whatever quotes or backslashes it holds (the repository suite checks the round trip).
import { describe, expect, it } from 'vitest';
import { bindValue, boundQuery, defineStatement, execute, literal, prepareScript } from './prepared.ts';

describe('prepared statements', () => {
  it('writes values as typed literals', () => {
    expect(literal(null, 'text')).toBe('NULL');
    expect(literal(`it's a \\ test`, 'text')).toBe(`E'it''s a \\\\ test'`);
    expect(literal(0.1, 'double precision')).toBe(`'0.1'`);
    expect(literal(true, 'boolean')).toBe('TRUE');
    expect(literal('123', 'jsonb')).toBe(`E'"123"'`);
    expect(literal({ a: "b'c" }, 'jsonb')).toBe(`E'{"a":"b''c"}'`);
  });

  it('refuses values it cannot write faithfully', () => {
    expect(() => literal(Number.NaN, 'double precision')).toThrow(TypeError);
    expect(() => literal('a\0b', 'text')).toThrow(TypeError);
    expect(() => literal({}, 'text')).toThrow(TypeError);
  });

  it('prepares and executes by name with the declared arity', () => {
    const statement = defineStatement('mediagate_example', ['text', 'integer'], 'SELECT $1, $2');
    expect(prepareScript([statement])).toBe('PREPARE mediagate_example (text, integer) AS SELECT $1, $2;');
    expect(() => execute(statement, ['only one'])).toThrow(/takes 2 values/);
  });

  it('binds the same values unquoted, each parameter cast in the text to its declared type', () => {
    expect(() => defineStatement('mediagate_example', ['text'], 'SELECT $1, $10')).toThrow(/uses \$10/);
    const fine = defineStatement('mediagate_example', ['text', 'jsonb', 'double precision'], 'SELECT $1, $2, $3, $1');
    expect(boundQuery(fine, [`it's \\`, '123', 0.1])).toEqual({
      name: 'mediagate_example',
      text: 'SELECT ($1::text), ($2::jsonb), ($3::double precision), ($1::text)',
      values: [`it's \\`, '"123"', '0.1'],
    });
    expect(bindValue(null, 'jsonb')).toBeNull();
    expect(bindValue(false, 'boolean')).toBe('false');
    expect(() => bindValue(Number.POSITIVE_INFINITY, 'double precision')).toThrow(TypeError);
    expect(() => bindValue('a\0b', 'text')).toThrow(TypeError);
  });
});
