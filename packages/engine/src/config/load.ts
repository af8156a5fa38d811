// Reads mediagate.config.yaml: YAML, `${VAR}` references resolved from the environment (a
// missing variable fails here, at start, naming it and where it is used), then the zod schema.
// Every error names the file and the path inside it, e.g. `routes.draft.targets[1]: …`.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fieldPath } from '@mediagate/core';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { configSchema, type MediagateConfig } from './schema.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    message: string,
    /** Path inside the file, e.g. "routes.draft.targets[1]". */
    readonly configPath?: string,
  ) {
    super(message);
  }
}

/** Runs a check of the config, prefixing a ConfigError it throws with the file's name. */
export function inConfigFile<T>(file: string | undefined, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof ConfigError && file !== undefined) throw new ConfigError(`${file}: ${error.message}`, error.configPath);
    throw error;
  }
}

export interface LoadedConfig {
  config: MediagateConfig;
  /** The file read, or undefined when none exists (the built-in defaults). */
  file: string | undefined;
}

export const defaultConfigFile = 'mediagate.config.yaml';

const reference = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
/**
 * `${VAR}` is not a valid plain YAML scalar inside a flow mapping (`{ secret: ${KEY} }`: the
 * braces are flow indicators), yet that is how people write it. So references are swapped for
 * a token that is a plain scalar anywhere before parsing, and resolved afterwards, in values only.
 */
const referenceOrToken = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|MGENV__([A-Za-z_][A-Za-z0-9_]*?)__MGENV/g;

function protectReferences(text: string): string {
  return text.replace(reference, (_match, variable: string) => `MGENV__${variable}__MGENV`);
}

function interpolate(value: unknown, env: NodeJS.ProcessEnv, at: (string | number)[]): unknown {
  if (typeof value === 'string') {
    return value.replace(referenceOrToken, (_match, braced: string | undefined, protectedName: string | undefined) => {
      const variable = (braced ?? protectedName)!;
      const resolved = env[variable];
      if (resolved === undefined || resolved === '') {
        throw new ConfigError(`${fieldPath(at)}: environment variable ${variable} is not set`, fieldPath(at));
      }
      return resolved;
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => interpolate(item, env, [...at, index]));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolate(item, env, [...at, key])]));
  }
  return value;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_value') return `must be one of: ${issue.values.map(String).join(', ')}`;
  return issue.message;
}

/** Validates an already-parsed config object (tests, and the file after interpolation). */
export function parseConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): MediagateConfig {
  const resolved = interpolate(raw ?? {}, env, []);
  const result = configSchema.safeParse(resolved);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const at = fieldPath(issue.path);
    throw new ConfigError(at === '' ? describeIssue(issue) : `${at}: ${describeIssue(issue)}`, at || undefined);
  }
  return result.data;
}

/**
 * Loads the config from `file` (--config), else MEDIAGATE_CONFIG, else ./mediagate.config.yaml
 * when it exists; with none, the built-in defaults. A named file that is missing is an error.
 */
export function loadConfig(options: { file?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const named = options.file ?? (env.MEDIAGATE_CONFIG || undefined);
  const file = named !== undefined ? path.resolve(cwd, named) : path.resolve(cwd, defaultConfigFile);
  if (named === undefined && !existsSync(file)) return { config: parseConfig({}, env), file: undefined };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`${file}: cannot read the config file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const document = parseDocument(protectReferences(text));
  const syntax = document.errors[0];
  if (syntax !== undefined) {
    const line = syntax.linePos?.[0];
    throw new ConfigError(`${file}${line ? `:${line.line}:${line.col}` : ''}: ${syntax.message.split('\n')[0]}`);
  }
  try {
    return { config: parseConfig(document.toJS(), env), file };
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(`${file}: ${error.message}`, error.configPath);
    throw error;
  }
}
