// A fake of the Gemini API (https://ai.google.dev/api): generateContent for image and TTS models,
// predictLongRunning for Veo with operations polled at GET /v1beta/{name}, video files that need
// the key to download, the x-goog-api-key header, 400 INVALID_ARGUMENT for what the API rejects,
// Google's {error:{code,message,status,details}} bodies, RetryInfo on 429 and safety blocks.
import type { ServerResponse } from 'node:http';
import type { FakeFault, FakeProvider, RecordedRequest } from '../subject.ts';
import { FaultQueue, asFakeProvider, hang, jsonBody, mp4Video, pngImage, sendJson, startFakeServer, type FakeServer } from '../fake-http.ts';

export const googleGoodKey = 'AIzaSyFAKE-good-google-key-000000000';
export const googleBadKey = 'AIzaSyFAKE-revoked-google-key-00000';

const ratios1K: Record<string, [number, number]> = {
  '1:1': [1024, 1024], '2:3': [848, 1264], '3:2': [1264, 848], '3:4': [896, 1200], '4:3': [1200, 896],
  '4:5': [928, 1152], '5:4': [1152, 928], '9:16': [768, 1376], '16:9': [1376, 768], '21:9': [1584, 672],
}; // prettier-ignore
const flash25: Record<string, [number, number]> = {
  '1:1': [1024, 1024], '2:3': [832, 1248], '3:2': [1248, 832], '3:4': [864, 1184], '4:3': [1184, 864],
  '4:5': [896, 1152], '5:4': [1152, 896], '9:16': [768, 1344], '16:9': [1344, 768], '21:9': [1536, 672],
}; // prettier-ignore
const imageModels: Record<string, { sizes: Record<string, [number, number]>; imageSizes: string[] }> = {
  'gemini-2.5-flash-image': { sizes: flash25, imageSizes: [] },
  'gemini-3-pro-image-preview': { sizes: ratios1K, imageSizes: ['1K', '2K', '4K'] },
  'gemini-3.1-flash-image-preview': { sizes: ratios1K, imageSizes: ['1K', '2K', '4K'] },
};
const ttsModels = new Set(['gemini-2.5-flash-preview-tts', 'gemini-2.5-pro-preview-tts']);
const voices = new Set(['Zephyr', 'Puck', 'Charon', 'Kore', 'Fenrir', 'Leda', 'Orus', 'Aoede', 'Callirrhoe', 'Autonoe', 'Enceladus', 'Iapetus', 'Umbriel', 'Algieba', 'Despina', 'Erinome', 'Algenib', 'Rasalgethi', 'Laomedeia', 'Achernar', 'Alnilam', 'Schedar', 'Gacrux', 'Pulcherrima', 'Achird', 'Zubenelgenubi', 'Vindemiatrix', 'Sadachbia', 'Sadaltager', 'Sulafat']);
const veoModels: Record<string, { durations: number[]; resolutions: string[] | null }> = {
  'veo-3.1-generate-preview': { durations: [4, 6, 8], resolutions: ['720p', '1080p', '4k'] },
  'veo-3.1-fast-generate-preview': { durations: [4, 6, 8], resolutions: ['720p', '1080p', '4k'] },
  'veo-3.0-generate-001': { durations: [8], resolutions: ['720p', '1080p'] },
  'veo-3.0-fast-generate-001': { durations: [8], resolutions: ['720p', '1080p'] },
  'veo-2.0-generate-001': { durations: [5, 6, 7, 8], resolutions: null },
};
const resolutionSides: Record<string, number> = { '720p': 720, '1080p': 1080, '4k': 2160 };

export interface GoogleFakeOptions {
  /** Polls of a Veo operation that answer "not done" before it is. */
  pendingPolls?: number;
}

interface Operation {
  name: string;
  model: string;
  width: number;
  height: number;
  seconds: number;
  polls: number;
  fault: FakeFault | undefined;
  /** Download URIs handed out so far (a re-poll after an expired one gets a fresh one). */
  served: number;
}

interface StoredVideo {
  data: Buffer;
  expired: boolean;
}

function googleError(response: ServerResponse, code: number, status: string, message: string, details?: unknown[], headers: Record<string, string> = {}): void {
  sendJson(response, code, { error: { code, message, status, ...(details ? { details } : {}) } }, headers);
}

function invalid(response: ServerResponse, message: string): void {
  googleError(response, 400, 'INVALID_ARGUMENT', message);
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** 16-bit mono PCM at 24 kHz, as the TTS models return it (base64 in inlineData). */
function pcmTone(seconds: number): Buffer {
  const samples = Math.max(1, Math.round(seconds * 24_000));
  const data = Buffer.alloc(samples * 2);
  for (let index = 0; index < samples; index++) data.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 220 * index) / 24_000) * 6000), index * 2);
  return data;
}

export async function startGoogleFake(options: GoogleFakeOptions = {}): Promise<FakeProvider> {
  const pendingPolls = options.pendingPolls ?? 1;
  const faults = new FaultQueue();
  const operations = new Map<string, Operation>();
  const videos = new Map<string, StoredVideo>();
  let nextId = 0;

  /** The fault injected for this submit, answered here when it is an HTTP-level one. */
  function submitFault(response: ServerResponse): FakeFault | 'answered' | undefined {
    const fault = faults.take();
    if (fault === 'rate_limit') {
      // Google sends the wait as a RetryInfo detail, not a Retry-After header.
      googleError(response, 429, 'RESOURCE_EXHAUSTED', 'You exceeded your current quota, please check your plan and billing details.', [
        { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_paid_tier_input_token_count' }] },
        { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1s' },
      ]);
      return 'answered';
    }
    if (fault === 'server_error') {
      googleError(response, 503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.');
      return 'answered';
    }
    return fault;
  }

  function generateImage(model: string, body: Record<string, unknown>, response: ServerResponse, fault: FakeFault | undefined): void {
    const spec = imageModels[model];
    if (!spec) return;
    const config = record(body.generationConfig) ?? {};
    const modalities = config.responseModalities;
    if (!Array.isArray(modalities) || !modalities.includes('IMAGE')) return invalid(response, 'generationConfig.responseModalities must include IMAGE for this model.');
    const imageConfig = record(config.imageConfig) ?? {};
    const ratio = imageConfig.aspectRatio ?? '1:1';
    if (typeof ratio !== 'string' || !spec.sizes[ratio]) return invalid(response, `Invalid aspect ratio: ${String(ratio)}`);
    const imageSize = imageConfig.imageSize;
    if (imageSize !== undefined && !spec.imageSizes.includes(String(imageSize))) return invalid(response, `Image size ${String(imageSize)} is not supported for ${model}.`);
    const scale = imageSize === '4K' ? 4 : imageSize === '2K' ? 2 : 1;
    if (fault === 'content_policy') {
      return sendJson(response, 200, { candidates: [{ content: { parts: [] }, finishReason: 'IMAGE_SAFETY', finishMessage: 'Unable to show the generated image.' }], modelVersion: model });
    }
    const [width, height] = spec.sizes[ratio] as [number, number];
    const png = pngImage(width * scale, height * scale, Number(config.seed ?? nextId));
    sendJson(response, 200, {
      candidates: [{ content: { role: 'model', parts: [{ text: 'Here is the image.' }, { inlineData: { mimeType: 'image/png', data: png.toString('base64') } }] }, finishReason: 'STOP', index: 0 }],
      usageMetadata: { promptTokenCount: 12, candidatesTokenCount: 1290, totalTokenCount: 1302 },
      modelVersion: model,
    });
  }

  function generateSpeech(model: string, body: Record<string, unknown>, text: string, response: ServerResponse, fault: FakeFault | undefined): void {
    const config = record(body.generationConfig) ?? {};
    const modalities = config.responseModalities;
    if (!Array.isArray(modalities) || modalities.length !== 1 || modalities[0] !== 'AUDIO') return invalid(response, 'The requested combination of response modalities is not supported by the model.');
    const voice = record(record(record(config.speechConfig)?.voiceConfig)?.prebuiltVoiceConfig)?.voiceName;
    if (voice !== undefined && !voices.has(String(voice))) return invalid(response, `Voice ${String(voice)} is not a supported prebuilt voice.`);
    if (fault === 'content_policy') {
      return sendJson(response, 200, { promptFeedback: { blockReason: 'PROHIBITED_CONTENT' }, modelVersion: model });
    }
    const pcm = pcmTone(Math.min(30, Math.max(0.5, text.length / 15)));
    sendJson(response, 200, {
      candidates: [{ content: { role: 'model', parts: [{ inlineData: { mimeType: 'audio/L16;codec=pcm;rate=24000', data: pcm.toString('base64') } }] }, finishReason: 'STOP', index: 0 }],
      modelVersion: model,
    });
  }

  function generateContent(model: string, request: RecordedRequest, response: ServerResponse): void {
    if (!imageModels[model] && !ttsModels.has(model)) {
      return googleError(response, 404, 'NOT_FOUND', `models/${model} is not found for API version v1beta, or is not supported for generateContent.`);
    }
    const body = jsonBody(request);
    const contents = body?.contents;
    const parts = Array.isArray(contents) ? record(contents[0])?.parts : undefined;
    const text = Array.isArray(parts) ? parts.map((part) => record(part)?.text).find((value) => typeof value === 'string') : undefined;
    if (!body || typeof text !== 'string' || text === '') return invalid(response, '* GenerateContentRequest.contents: contents is not specified');
    for (const part of Array.isArray(parts) ? parts : []) {
      const inline = record(record(part)?.inlineData);
      if (inline && (typeof inline.data !== 'string' || !/^image\/(png|jpeg|webp)$/.test(String(inline.mimeType)))) return invalid(response, 'Unsupported inline data.');
    }
    const fault = submitFault(response);
    if (fault === 'answered') return;
    if (fault === 'hang') return hang(response);
    if (fault === 'malformed') return sendJson(response, 200, { candidates: 'temporarily unavailable' });
    if (imageModels[model]) return generateImage(model, body, response, fault);
    generateSpeech(model, body, text, response, fault);
  }

  function predictLongRunning(model: string, request: RecordedRequest, response: ServerResponse): void {
    const spec = veoModels[model];
    if (!spec) return googleError(response, 404, 'NOT_FOUND', `models/${model} is not found for API version v1beta, or is not supported for predictLongRunning.`);
    const body = jsonBody(request);
    const instances = body?.instances;
    const instance = Array.isArray(instances) && instances.length === 1 ? record(instances[0]) : undefined;
    if (!instance || typeof instance.prompt !== 'string' || instance.prompt === '') return invalid(response, 'instances[0].prompt is required.');
    const image = instance.image === undefined ? undefined : record(instance.image);
    if (instance.image !== undefined && (typeof image?.bytesBase64Encoded !== 'string' || !/^image\/(png|jpeg)$/.test(String(image.mimeType)))) {
      return invalid(response, 'instances[0].image must carry bytesBase64Encoded and a png or jpeg mimeType.');
    }
    const parameters = record(body?.parameters) ?? {};
    const ratio = parameters.aspectRatio ?? '16:9';
    if (ratio !== '16:9' && ratio !== '9:16') return invalid(response, `aspectRatio ${String(ratio)} is not supported; use 16:9 or 9:16.`);
    const seconds = Number(parameters.durationSeconds ?? 8);
    if (!spec.durations.includes(seconds)) return invalid(response, `durationSeconds ${seconds} is out of bounds for ${model}; allowed: ${spec.durations.join(', ')}.`);
    const resolution = parameters.resolution ?? '720p';
    if (parameters.resolution !== undefined && (spec.resolutions === null || !spec.resolutions.includes(String(resolution)))) {
      return invalid(response, `resolution ${String(resolution)} is not supported by ${model}.`);
    }
    if (resolution !== '720p' && seconds !== 8) return invalid(response, `resolution ${String(resolution)} requires durationSeconds 8.`);
    if (parameters.negativePrompt !== undefined && typeof parameters.negativePrompt !== 'string') return invalid(response, 'negativePrompt must be a string.');
    const fault = submitFault(response);
    if (fault === 'answered') return;
    if (fault === 'malformed') return sendJson(response, 200, { done: false });
    const side = resolutionSides[String(resolution)] ?? 720;
    const long = Math.round((side * 16) / 9);
    const name = `models/${model}/operations/op${++nextId}fake`;
    const [width, height] = ratio === '16:9' ? [long, side] : [side, long];
    operations.set(name, { name, model, width, height, seconds, polls: 0, fault, served: 0 });
    sendJson(response, 200, { name });
  }

  async function pollOperation(name: string, response: ServerResponse): Promise<void> {
    const operation = operations.get(name);
    if (!operation) return googleError(response, 404, 'NOT_FOUND', `Operation ${name} not found.`);
    operation.polls += 1;
    // A hung job's first poll never answers; the attempt times out and the next poll of the same
    // operation goes through.
    if (operation.fault === 'hang' && operation.polls === 1) return hang(response);
    if (operation.polls <= pendingPolls) return sendJson(response, 200, { name, metadata: { '@type': 'type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningMetadata' } });
    if (operation.fault === 'content_policy') {
      return sendJson(response, 200, {
        name,
        done: true,
        response: {
          '@type': 'type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse',
          generateVideoResponse: { raiMediaFilteredCount: 1, raiMediaFilteredReasons: ["We encountered an issue with the audio for your prompt. You weren't charged for this attempt."] },
        },
      });
    }
    const data = await mp4Video(operation.width, operation.height, operation.seconds, nextId);
    const fileId = `${name.split('/').at(-1) ?? 'video'}v${++operation.served}`;
    videos.set(fileId, { data, expired: operation.fault === 'expired_output' && operation.served === 1 });
    sendJson(response, 200, {
      name,
      done: true,
      response: {
        '@type': 'type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse',
        generateVideoResponse: { generatedSamples: [{ video: { uri: `${server.url}/v1beta/files/${fileId}:download?alt=media` } }] },
      },
    });
  }

  function download(fileId: string, response: ServerResponse): void {
    const video = videos.get(fileId);
    if (!video || video.expired) return googleError(response, 404, 'NOT_FOUND', `File ${fileId} not found or expired.`);
    response.writeHead(200, { 'content-type': 'video/mp4', 'content-length': video.data.length });
    response.end(video.data);
  }

  async function handle(request: RecordedRequest, response: ServerResponse): Promise<void> {
    const url = new URL(request.path, 'http://fake');
    const key = request.headers['x-goog-api-key'] ?? url.searchParams.get('key') ?? undefined;
    if (key === undefined) {
      return googleError(response, 403, 'PERMISSION_DENIED', "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.");
    }
    if (key !== googleGoodKey) {
      return googleError(response, 400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } },
      ]);
    }
    const path = decodeURIComponent(url.pathname);
    const call = /^\/v1beta\/models\/([\w.-]+):(generateContent|predictLongRunning)$/.exec(path);
    if (call?.[1] && request.method === 'POST') {
      if (call[2] === 'generateContent') return generateContent(call[1], request, response);
      return predictLongRunning(call[1], request, response);
    }
    const operation = /^\/v1beta\/(models\/[\w.-]+\/operations\/\w+)$/.exec(path);
    if (operation?.[1] && request.method === 'GET') return pollOperation(operation[1], response);
    const file = /^\/v1beta\/files\/(\w+):download$/.exec(path);
    if (file?.[1] && request.method === 'GET' && url.searchParams.get('alt') === 'media') return download(file[1], response);
    googleError(response, 404, 'NOT_FOUND', `Method not found: ${request.method} ${path}`);
  }

  const server: FakeServer = await startFakeServer(handle);
  return asFakeProvider(server, faults);
}
