// OpenAI's POST /v1/audio/speech: a Mediagate speech job, answered with the audio bytes once
// it ends. OpenAI voice names speak with a configured voice; the model's own voices pass through.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { InputError, parseInput, type AudioFormat } from '@mediagate/core';
import { tenantOf } from '../routes-jobs.ts';
import { awaitOutputs, submitToWait, type OpenAiContext } from './context.ts';
import { numberField, refuseUnlessNeutral } from './fields.ts';
import { isJsonObject } from './form.ts';
import { honors, openAiVoices, resolveOpenAiModel, specOf } from './models.ts';
import { renamingFields, type FieldNames } from './openai-errors.ts';

const speechSchema = z
  .object({
    model: z.string().min(1).optional(),
    input: z.string().min(1),
    voice: z.string().min(1).optional(),
    response_format: z.enum(['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm']).optional(),
    speed: numberField.pipe(z.number().min(0.25).max(4)).optional(),
    instructions: z.string().optional(),
    stream_format: z.enum(['audio', 'sse']).optional(),
  })
  .strict();

const fieldNames: FieldNames = {
  prompt: 'input',
  'params.voice': 'voice',
  'params.speed': 'speed',
  'params.format': 'response_format',
  'params.instructions': 'instructions',
};

/** The audio format to ask for: the caller's, else OpenAI's default mp3 where the model makes it. */
function formatFor(requested: string | undefined, formats: readonly AudioFormat[], model: string): AudioFormat | undefined {
  if (requested === undefined) return formats.includes('mp3') ? 'mp3' : undefined;
  const format = formats.find((candidate) => candidate === requested);
  if (format === undefined) {
    throw new InputError(`response_format: ${JSON.stringify(requested)} is not supported by ${model}; allowed: ${formats.join(', ')}`, {
      field: 'response_format',
      allowed: formats,
    });
  }
  return format;
}

export function registerSpeechRoutes(app: FastifyInstance, context: OpenAiContext): void {
  app.post('/v1/audio/speech', async (request, reply) => {
    if (!isJsonObject(request.body)) throw new InputError('body: send a JSON object, e.g. {"input": "...", "voice": "alloy"}', { field: 'body' });
    const body = parseInput(speechSchema, request.body);
    const model = resolveOpenAiModel('speech', body.model, context.defaults);
    const spec = specOf(context.runtime, model);
    if (!honors(spec, 'instructions')) refuseUnlessNeutral('instructions', body.instructions, model, ['']);
    refuseUnlessNeutral('stream_format', body.stream_format, model, ['audio']);
    if (!honors(spec, 'speed')) refuseUnlessNeutral('speed', body.speed, model, [1]);
    // A voice the target has is used as is; otherwise OpenAI's names mean "some voice": the
    // configured one, or the model's only voice.
    const targetHasVoice = body.voice !== undefined && (spec.capabilities.speech?.voices ?? []).includes(body.voice);
    const openAiVoice = !targetHasVoice && body.voice !== undefined && (openAiVoices as readonly string[]).includes(body.voice);
    if (!openAiVoice && !honors(spec, 'voice')) refuseUnlessNeutral('voice', body.voice, model);
    const voice = openAiVoice ? context.defaults.voice : body.voice;
    const format = honors(spec, 'format') ? formatFor(body.response_format, spec.capabilities.speech?.formats ?? [], model) : undefined;
    if (format === undefined) refuseUnlessNeutral('response_format', body.response_format, model);
    const submitted = await renamingFields(fieldNames, () =>
      submitToWait(context, tenantOf(request), {
        kind: 'speech',
        prompt: body.input,
        model,
        params: {
          ...(voice !== undefined && honors(spec, 'voice') ? { voice } : {}),
          ...(body.speed !== undefined && honors(spec, 'speed') ? { speed: body.speed } : {}),
          ...(format !== undefined ? { format } : {}),
          ...(body.instructions && honors(spec, 'instructions') ? { instructions: body.instructions } : {}),
        },
        ...(body.model !== undefined && body.model !== model ? { metadata: { openai_model: body.model } } : {}),
      }),
    );
    const { job } = submitted;
    const outputs = await awaitOutputs(context, submitted, reply);
    if (outputs === undefined) return reply;
    const audio = outputs[0];
    if (audio === undefined) throw new Error(`job ${job.id} succeeded without an output`);
    return reply
      .header('content-type', audio.mime)
      .header('content-length', audio.size)
      .send(context.runtime.store.createReadStream(audio.storageKey));
  });
}
