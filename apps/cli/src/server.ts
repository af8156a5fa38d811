// Which server a command talks to and with which key: --server when given, else a
// `mediagate start`/`api` running on this machine over the same embedded database (found through
// its lock file); the key from --api-key, else MEDIAGATE_API_KEY, else <MEDIAGATE_HOME>/api-key
// (written by `mediagate start`).
import { readFileSync } from 'node:fs';
import { localApiKeyFile } from '@mediagate/api';
import { loadSettings, readLock } from '@mediagate/engine';
import { ApiClient } from './client.ts';

export interface ServerFlags {
  server?: string;
  apiKey?: string;
}

export function serverFor(flag: string | undefined): string | undefined {
  if (flag !== undefined) return flag;
  const settings = loadSettings();
  if (settings.databaseUrl !== undefined) return undefined;
  return readLock(settings.home)?.url;
}

/** The key to send, if any is to be found; the server says so (401) when one is needed and missing. */
export function apiKeyFor(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (flag !== undefined && flag !== '') return flag;
  if (env.MEDIAGATE_API_KEY !== undefined && env.MEDIAGATE_API_KEY !== '') return env.MEDIAGATE_API_KEY;
  try {
    const stored = readFileSync(localApiKeyFile(loadSettings(env).home), 'utf8').trim();
    return stored === '' ? undefined : stored;
  } catch {
    return undefined;
  }
}

/** A client for the server this command should use, or undefined to run in this process (no key needed). */
export function clientFor(flags: ServerFlags): ApiClient | undefined {
  const server = serverFor(flags.server);
  return server === undefined ? undefined : new ApiClient(server, apiKeyFor(flags.apiKey));
}
