// Turns `mediagate generate` flags into a generation request, rejecting malformed flags with the
// flag's name and what is allowed (exit code 2), before anything touches a queue.
import { statSync } from 'node:fs';
import path from 'node:path';
import { InputError, jobKinds, type GenerationRequestInput, type JobKind, type OutputFormat } from '@mediagate/core';

export interface GenerateFlags {
  provider?: string;
  fallback?: string[];
  preset?: string;
  pool?: string;
  webhookUrl?: string;
  size?: string;
  aspect?: string;
  duration?: string;
  fps?: string;
  motion?: string;
  image?: string;
  mask?: string;
  remixOf?: string;
  voice?: string;
  speed?: string;
  seed?: string;
  format?: string;
  theme?: string;
  layout?: string;
  brand?: string;
  narration?: string;
  params?: string;
  output?: string;
  json?: boolean;
  server?: string;
  apiKey?: string;
}

const extensionFormats: Record<string, OutputFormat> = {
  '.png': 'png',
  '.jpg': 'jpeg',
  '.jpeg': 'jpeg',
  '.webp': 'webp',
  '.mp4': 'mp4',
  '.wav': 'wav',
  '.mp3': 'mp3',
};

const kindExtensions: Record<JobKind, string[]> = {
  image: ['.png', '.jpg', '.jpeg', '.webp'],
  video: ['.mp4'],
  speech: ['.wav', '.mp3'],
};

function number(flag: string, value: string | undefined, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || (integer && !Number.isInteger(parsed))) {
    throw new InputError(`--${flag}: "${value}" is not ${integer ? 'a whole number' : 'a number'}`, { field: flag });
  }
  return parsed;
}

export function parseKind(value: string): JobKind {
  if (!(jobKinds as readonly string[]).includes(value)) {
    throw new InputError(`kind: "${value}" is not one of: ${jobKinds.join(', ')}`, { field: 'kind', allowed: jobKinds });
  }
  return value as JobKind;
}

/** Output format implied by `-o`, checked against the kind. */
export function formatFromOutput(kind: JobKind, output: string | undefined): OutputFormat | undefined {
  if (output === undefined) return undefined;
  const extension = path.extname(output).toLowerCase();
  if (!kindExtensions[kind].includes(extension)) {
    throw new InputError(`-o: "${output}" needs one of these extensions for ${kind}: ${kindExtensions[kind].join(', ')}`, {
      field: 'output',
      allowed: kindExtensions[kind],
    });
  }
  return extensionFormats[extension];
}

/** The directory `-o` writes into must exist: finding out after the job ran would waste it. */
export function checkOutputDirectory(output: string | undefined): void {
  if (output === undefined) return;
  const directory = path.dirname(path.resolve(output));
  let isDirectory = false;
  try {
    isDirectory = statSync(directory).isDirectory();
  } catch {
    // missing: reported below
  }
  if (!isDirectory) throw new InputError(`-o: directory ${directory} does not exist`, { field: 'output' });
}

export function buildRequest(kind: JobKind, prompt: string, flags: GenerateFlags): GenerationRequestInput {
  const params: Record<string, unknown> = {};
  if (flags.params !== undefined) {
    try {
      const extra: unknown = JSON.parse(flags.params);
      if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) throw new Error('not an object');
      Object.assign(params, extra);
    } catch (error) {
      throw new InputError(`--params: not a JSON object (${(error as Error).message})`, { field: 'params' });
    }
  }
  if (flags.size !== undefined) {
    const match = /^(\d+)x(\d+)$/i.exec(flags.size);
    if (!match) throw new InputError(`--size: "${flags.size}" is not WIDTHxHEIGHT, e.g. 1080x1350`, { field: 'size' });
    params.width = Number(match[1]);
    params.height = Number(match[2]);
  }
  const set = (name: string, value: unknown) => {
    if (value !== undefined) params[name] = value;
  };
  set('aspect_ratio', flags.aspect);
  set('duration', number('duration', flags.duration, false));
  set('fps', number('fps', flags.fps, true));
  set('motion', flags.motion);
  set('voice', flags.voice);
  set('speed', number('speed', flags.speed, false));
  set('seed', number('seed', flags.seed, true));
  set('theme', flags.theme);
  set('layout', flags.layout);
  set('brand', flags.brand);
  set('narration', flags.narration);
  const implied = formatFromOutput(kind, flags.output);
  if (flags.format !== undefined && implied !== undefined && flags.format !== implied) {
    throw new InputError(`--format: "${flags.format}" conflicts with the -o extension (${implied})`, { field: 'format' });
  }
  set('format', flags.format ?? implied);
  return {
    kind,
    prompt,
    params,
    ...(flags.provider !== undefined ? { model: flags.provider } : {}),
    ...(flags.fallback !== undefined && flags.fallback.length > 0 ? { fallbacks: flags.fallback } : {}),
    ...(flags.preset !== undefined ? { preset: flags.preset } : {}),
    ...(flags.remixOf !== undefined ? { remix_of: flags.remixOf } : {}),
    ...(flags.pool !== undefined ? { pool: checkPoolName(flags.pool) } : {}),
    ...(flags.webhookUrl !== undefined ? { webhook_url: checkWebhookUrl(flags.webhookUrl) } : {}),
  };
}

/** `--pool`: a pool name as the config spells them; whether the provider has it is the server's call. */
function checkPoolName(value: string): string {
  if (!/^[A-Za-z][A-Za-z0-9_.-]{0,62}$/.test(value)) {
    throw new InputError(`--pool: "${value}" is not a pool name (letters, digits, _ . - starting with a letter, at most 63), e.g. default`, { field: 'pool' });
  }
  return value;
}

/** `--webhook-url`: an absolute http(s) URL; the URL guard and the signing secret are checked at submit. */
function checkWebhookUrl(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || value.length > 2048) {
    throw new InputError(`--webhook-url: "${value.slice(0, 100)}" is not an http(s) URL of at most 2048 characters, e.g. https://example.com/hooks/mediagate`, {
      field: 'webhook_url',
      allowed: ['http', 'https'],
    });
  }
  return value;
}
