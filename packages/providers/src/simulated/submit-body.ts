// Reads and checks the body of POST /v1/generate on the simulated server; a body that is not
// JSON or not the documented shape is answered 400 with what was wrong.
import type { IncomingMessage } from 'node:http';
import { generationParamsSchema, jobKinds } from '@mediagate/core';
import { z } from 'zod';

export const submitSchema = z.object({
  model: z.string(),
  kind: z.enum(jobKinds).optional(),
  prompt: z.string().min(1),
  params: generationParamsSchema.default({}),
});
export type Submit = z.infer<typeof submitSchema>;

const maxBodyBytes = 1024 * 1024;

export function readBody(request: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBodyBytes) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > maxBodyBytes ? undefined : Buffer.concat(chunks).toString('utf8')));
    request.on('error', () => resolve(undefined));
  });
}

export function parseSubmit(text: string | undefined): Submit | string {
  if (text === undefined) return 'request body is missing or too large';
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return 'request body is not JSON';
  }
  const result = submitSchema.safeParse(json);
  if (result.success) return result.data;
  return result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
}
