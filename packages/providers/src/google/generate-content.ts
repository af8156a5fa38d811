// The `models/{model}:generateContent` answer shared by Gemini image and speech models: the
// documented response shape, and the one reading of blocks and finish reasons into error classes.
// https://ai.google.dev/api/generate-content#v1beta.GenerateContentResponse
import { ProviderError } from '@mediagate/core';
import { z } from 'zod';

const partSchema = z.object({
  text: z.string().optional(),
  /** Gemini 3 image models send interim "thought" images before the final one. */
  thought: z.boolean().optional(),
  inlineData: z.object({ mimeType: z.string(), data: z.string() }).optional(),
});

export const generateContentSchema = z.object({
  candidates: z
    .array(
      z.object({
        content: z.object({ parts: z.array(partSchema).optional() }).optional(),
        finishReason: z.string().optional(),
        finishMessage: z.string().optional(),
      }),
    )
    .optional(),
  promptFeedback: z.object({ blockReason: z.string().optional(), blockReasonMessage: z.string().optional() }).optional(),
});
export type GenerateContentResponse = z.infer<typeof generateContentSchema>;

/** Finish reasons that mean the output was withheld on content grounds (FinishReason enum). */
const refusedReasons = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
  'IMAGE_RECITATION',
]);

export interface InlineMedia {
  mime: string;
  data: Buffer;
}

/**
 * The inline media parts of the first candidate whose mime starts with `prefix` ("image/",
 * "audio/"), thought parts left out. A block or refusal is `content_policy`; an answer with no
 * such part is `server` (the model answered in text only; a new attempt usually succeeds).
 */
export function inlineMedia(response: GenerateContentResponse, prefix: string, target: string): InlineMedia[] {
  const blocked = response.promptFeedback?.blockReason;
  if (blocked !== undefined && blocked !== 'BLOCK_REASON_UNSPECIFIED') {
    const why = response.promptFeedback?.blockReasonMessage;
    throw new ProviderError('content_policy', `google: ${target} blocked the prompt (${blocked})${why ? `: ${why}` : ''}`, { providerCode: blocked });
  }
  const candidate = response.candidates?.[0];
  if (!candidate) throw new ProviderError('malformed', `google: ${target} answered with no candidates and no block reason`);
  const reason = candidate.finishReason;
  if (reason !== undefined && refusedReasons.has(reason)) {
    const why = candidate.finishMessage;
    throw new ProviderError('content_policy', `google: ${target} withheld its output (finishReason ${reason})${why ? `: ${why}` : ''}`, {
      providerCode: reason,
    });
  }
  const parts = candidate.content?.parts ?? [];
  const media = parts.flatMap((part) =>
    part.inlineData && !part.thought && part.inlineData.mimeType.toLowerCase().startsWith(prefix)
      ? [{ mime: part.inlineData.mimeType, data: Buffer.from(part.inlineData.data, 'base64') }]
      : [],
  );
  if (media.some((item) => item.data.length === 0)) {
    throw new ProviderError('malformed', `google: ${target} sent an empty ${prefix.slice(0, -1)} part`);
  }
  if (media.length === 0) {
    if (reason === 'LANGUAGE') {
      throw new ProviderError('invalid_input', `google: ${target} does not support the prompt's language`, { providerCode: reason });
    }
    const said = parts.map((part) => part.text ?? '').join(' ').trim().slice(0, 200);
    throw new ProviderError('server', `google: ${target} answered without ${prefix.slice(0, -1)} output (finishReason ${reason ?? 'none'})${said ? `: "${said}"` : ''}`, {
      ...(reason === undefined ? {} : { providerCode: reason }),
    });
  }
  return media;
}
