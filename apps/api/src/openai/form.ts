// Reads an OpenAI request body that may be JSON or multipart/form-data into plain fields and
// uploaded files written to a scratch directory, with size limits answered as 413/415.
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import { InputError } from '@mediagate/core';

export interface UploadedFile {
  /** The form field without a trailing `[]`: `image[]` and `image` are both `image`. */
  field: string;
  /** The name the client gave the file, for messages. */
  filename: string;
  path: string;
}

export interface FormInput {
  /** Text fields; `a[b]` becomes `{ a: { b } }` and `a[]` an array, as the OpenAI SDK encodes them. */
  fields: Record<string, unknown>;
  files: UploadedFile[];
}

export interface FormLimits {
  /** Largest file, bytes: the upload limit (MEDIAGATE_MAX_UPLOAD_BYTES), not the JSON body limit. */
  fileBytes: number;
  files: number;
  fieldBytes: number;
}


function tooLarge(message: string, field: string): InputError {
  return new InputError(message, { field, status: 413, code: 'payload_too_large' });
}

/** The 413 for a file (or data URL) past the upload limit, naming the limit and its setting. */
function fileTooLarge(field: string, what: string, maxBytes: number): InputError {
  return tooLarge(`${field}: ${what} larger than the ${maxBytes}-byte upload limit (MEDIAGATE_MAX_UPLOAD_BYTES)`, field);
}

/** The multipart plugin's and busboy's errors, as the API's own. */
function multipartError(error: unknown, limits: FormLimits, field: string): unknown {
  if (error instanceof InputError) return error;
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') return fileTooLarge(field, 'file', limits.fileBytes);
  if (code === 'FST_FILES_LIMIT') return tooLarge(`body: at most ${limits.files} file${limits.files === 1 ? '' : 's'} per request`, 'body');
  if (code === 'FST_FIELDS_LIMIT' || code === 'FST_PARTS_LIMIT') return tooLarge('body: too many form fields', 'body');
  const reason = error instanceof Error ? error.message : String(error);
  return new InputError(`body: malformed multipart/form-data (${reason})`, { field: 'body' });
}

function setField(fields: Record<string, unknown>, name: string, value: string): void {
  const nested = /^([^[\]]+)\[([^[\]]+)\]$/.exec(name);
  if (nested !== null) {
    const [, outer = '', inner = ''] = nested;
    const existing = fields[outer];
    const target = typeof existing === 'object' && existing !== null && !Array.isArray(existing) ? existing : {};
    fields[outer] = { ...target, [inner]: value };
  } else if (name.endsWith('[]')) {
    const key = name.slice(0, -2);
    const existing = fields[key];
    fields[key] = Array.isArray(existing) ? [...existing, value] : [value];
  } else if (name in fields) {
    throw new InputError(`${name}: sent more than once`, { field: name });
  } else {
    fields[name] = value;
  }
}

async function readMultipart(request: FastifyRequest, dir: string, limits: FormLimits): Promise<FormInput> {
  const fields: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const files: UploadedFile[] = [];
  let current = 'body';
  try {
    const parts = request.parts({ limits: { fileSize: limits.fileBytes, files: limits.files, fieldSize: limits.fieldBytes, fields: 50 } });
    for await (const part of parts) {
      current = part.fieldname;
      if (part.type === 'file') {
        const file = path.join(dir, `upload-${files.length}`);
        await pipeline(part.file, createWriteStream(file));
        if (part.file.truncated) throw fileTooLarge(part.fieldname, 'file', limits.fileBytes);
        files.push({ field: part.fieldname.replace(/\[\]$/, ''), filename: part.filename, path: file });
      } else {
        if (part.valueTruncated) throw tooLarge(`${part.fieldname}: longer than ${limits.fieldBytes} bytes`, part.fieldname);
        setField(fields, part.fieldname, String(part.value));
      }
    }
  } catch (error) {
    throw multipartError(error, limits, current);
  }
  return { fields: { ...fields }, files };
}

/** JSON bodies pass through; multipart ones are read into fields and files. Anything else is a 415. */
export async function readForm(request: FastifyRequest, dir: string, limits: FormLimits, accepts: 'json+multipart' | 'multipart'): Promise<FormInput> {
  if (request.isMultipart()) return readMultipart(request, dir, limits);
  const body: unknown = request.body;
  if (accepts === 'json+multipart' && typeof body === 'object' && body !== null && !Array.isArray(body)) {
    return { fields: body as Record<string, unknown>, files: [] };
  }
  const expected = accepts === 'multipart' ? 'multipart/form-data' : 'a JSON object or multipart/form-data';
  throw new InputError(`Content-Type: send ${expected}`, { field: 'content-type', status: 415, code: 'unsupported_media_type' });
}

/** Writes a `data:image/...;base64,` URL to a scratch file; other URLs are refused for now. */
export async function writeDataUrl(dir: string, field: string, url: string, maxBytes: number): Promise<UploadedFile> {
  const match = /^data:image\/[a-z0-9.+-]+;base64,([A-Za-z0-9+/=\s]+)$/i.exec(url);
  if (match === null) {
    throw new InputError(`${field}: give a data:image/...;base64 URL or an uploaded file; remote URLs are not fetched yet`, { field });
  }
  const bytes = Buffer.from(match[1] ?? '', 'base64');
  if (bytes.length > maxBytes) throw fileTooLarge(field, 'image', maxBytes);
  const file = path.join(dir, 'data-url');
  await writeFile(file, bytes);
  return { field, filename: field, path: file };
}

/** True for a JSON object body (not null, not an array). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
