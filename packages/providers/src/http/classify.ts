// Turns a provider's non-2xx answer into one classified ProviderError, the only error type the
// engine reads. Request headers never reach this code, so a key cannot leak into a message.
import { ProviderError, type ErrorClass } from '@mediagate/core';
import { parseRetryAfter } from './retry-after.ts';

/** What classification needs from an HTTP answer. */
export interface HttpErrorInfo {
  status: number;
  headers: Headers;
  bodyText: string;
}

/** The provider's own explanation, pulled out of whichever common JSON error shape it used. */
export interface ProviderErrorBody {
  message?: string;
  code?: string;
  type?: string;
  /** The parsed body, for provider-specific predicates; undefined when it was not JSON. */
  json?: unknown;
}

export interface ClassifyOptions {
  /** Names the provider in messages, e.g. "openai". */
  provider?: string;
  /** Provider-specific recognition of a content-policy refusal on a 4xx. */
  isContentPolicy?: (body: ProviderErrorBody, info: HttpErrorInfo) => boolean;
  now?: number;
}

/** Codes providers use for a refusal on content grounds (compared after normalizing case and separators). */
export const contentPolicyCodes: ReadonlySet<string> = new Set([
  'content_policy_violation', // OpenAI, Azure OpenAI
  'moderation_blocked', // OpenAI GPT image models
  'content_moderation', // Stability AI (403)
  'content_moderated', // BFL
  'request_moderated', // BFL
  'content_filter',
  'content_filtered',
  'safety_violation',
  'image_safety', // Gemini finishReason
  'prohibited_content', // Gemini
]);

const maxMessageLength = 500;

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  if (typeof value === 'number') return String(value);
  return undefined;
}

/** fal and Luma answer 422 with `{detail: [{loc, msg}]}`. */
function validationList(items: unknown[]): string | undefined {
  const parts = items.flatMap((item) => {
    const entry = record(item);
    const message = text(entry?.msg) ?? text(entry?.message);
    if (message === undefined) return [];
    const loc = Array.isArray(entry?.loc) ? entry.loc.map(String).join('.') : undefined;
    return [loc ? `${loc}: ${message}` : message];
  });
  return parts.length > 0 ? parts.join('; ') : undefined;
}

function fromJson(json: unknown): ProviderErrorBody {
  const root = record(json);
  if (!root) return { json };
  const error = root.error;
  const nested = record(error);
  if (nested) {
    // OpenAI {error:{message,type,code}}, Gemini {error:{code:400,message,status:"INVALID_ARGUMENT"}}.
    const code = text(nested.code);
    const status = text(nested.status);
    return {
      message: text(nested.message),
      code: code !== undefined && /^\d+$/.test(code) && status !== undefined ? status : (code ?? status),
      type: text(nested.type),
      json,
    };
  }
  const detail = root.detail;
  const detailRecord = record(detail);
  const message =
    text(error) ??
    text(root.message) ??
    text(detail) ??
    (Array.isArray(detail) ? validationList(detail) : undefined) ??
    text(detailRecord?.message) ??
    (Array.isArray(root.errors) ? root.errors.map(String).join('; ') : undefined);
  // ElevenLabs {detail:{status,message}}, Stability {name, errors}, Kling {code, message}.
  const code = text(detailRecord?.status) ?? text(detailRecord?.code) ?? text(root.code) ?? text(root.name);
  return { message, code, type: text(root.type), json };
}

/** Extracts message and code from `{error:{message,code,type}}`, `{error}`, `{message}`, `{detail}` and kin. */
export function parseErrorBody(bodyText: string): ProviderErrorBody {
  const trimmed = bodyText.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return fromJson(JSON.parse(trimmed));
    } catch {
      // Not JSON after all: fall through to the plain-text summary.
    }
  }
  if (trimmed === '') return {};
  if (/^<(?:!doctype|html)/i.test(trimmed)) return { message: '(an HTML page)' };
  return { message: trimmed.replace(/\s+/g, ' ') };
}

function normalizeCode(value: string): string {
  return value
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_');
}

export function isContentPolicyBody(body: ProviderErrorBody): boolean {
  return [body.code, body.type].some((value) => value !== undefined && contentPolicyCodes.has(normalizeCode(value)));
}

function classFor(status: number, body: ProviderErrorBody, info: HttpErrorInfo, options: ClassifyOptions): ErrorClass {
  const refusal = () => isContentPolicyBody(body) || (options.isContentPolicy?.(body, info) ?? false);
  if (status === 429) {
    // OpenAI answers 429 for an exhausted quota too; waiting does not help, so treat the key as unusable.
    return body.code === 'insufficient_quota' ? 'auth' : 'rate_limited';
  }
  if (status === 400 || status === 403 || status === 404 || status === 413 || status === 415 || status === 422) {
    // Stability refuses on content grounds with a 403, so the refusal check comes before auth.
    if (refusal()) return 'content_policy';
    if (status === 403) return 'auth';
    return 'invalid_input';
  }
  if (status === 401 || status === 402) return 'auth';
  if (status === 408 || status === 504) return 'timeout';
  return 'server';
}

function summary(body: ProviderErrorBody): string {
  const message = body.message ?? 'no error message';
  const clipped = message.length > maxMessageLength ? `${message.slice(0, maxMessageLength)}…` : message;
  return body.code !== undefined && !clipped.includes(body.code) ? `${clipped} (${body.code})` : clipped;
}

/** One ProviderError for a non-2xx answer: 429 rate_limited, 401/403 auth, 4xx invalid_input or content_policy, 408/504 timeout, else server. */
export function classifyHttpError(info: HttpErrorInfo, options: ClassifyOptions = {}): ProviderError {
  const body = parseErrorBody(info.bodyText);
  const errorClass = classFor(info.status, body, info, options);
  const retryAfterMs = parseRetryAfter(info.headers, options.now);
  const label = options.provider ?? 'provider';
  return new ProviderError(errorClass, `${label} answered HTTP ${info.status}: ${summary(body)}`, {
    status: info.status,
    ...(body.code === undefined ? {} : { providerCode: body.code }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}
