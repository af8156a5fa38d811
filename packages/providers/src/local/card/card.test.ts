// Behaviour of the local/card model as a user sees it: real images of the asked size and format,
// the same bytes for the same request, a visible reference photo, copy that fits, clear 4xx input errors.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp, { type Region } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, ProviderError, type GenerationParams } from '@mediagate/core';
import type { CallContext, ImageInput, ProviderRequest } from '../../contract.ts';
import { validateAgainstCapabilities } from '../../validate.ts';
import { cardModel, cardPlan, generateCard, renderCard } from './index.ts';

let workDir = '';
let redImage: ImageInput;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'card-test-'));
  const path = join(workDir, 'red.png');
  await sharp({ create: { width: 400, height: 300, channels: 3, background: '#ff0000' } }).png().toFile(path);
  redImage = { path, mime: 'image/png', width: 400, height: 300 };
});

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function request(params: GenerationParams, prompt = 'Summer sale — 40% off everything', images: ImageInput[] = []): ProviderRequest {
  return { kind: 'image', mode: images.length > 0 ? 'image-to-image' : 'text-to-image', model: 'card', prompt, params, images };
}

function context(signal = new AbortController().signal): CallContext & { updates: number[] } {
  const updates: number[] = [];
  return { signal, key: undefined, tmpDir: workDir, progress: (update) => updates.push(update.progress ?? -1), updates };
}

async function render(params: GenerationParams, prompt?: string, images: ImageInput[] = []): Promise<Uint8Array> {
  const result = await generateCard(request(params, prompt, images), context());
  if (result.status !== 'completed') throw new Error('card should complete synchronously');
  const output = result.outputs[0];
  if (output?.type !== 'bytes') throw new Error('card should return bytes');
  return output.data;
}

describe('local/card sizes and formats', () => {
  const expected: Record<string, [number, number]> = {
    '1:1': [1080, 1080],
    '16:9': [1920, 1080],
    '9:16': [1080, 1920],
    '4:5': [1080, 1350],
    '4:3': [1440, 1080],
    '3:4': [1080, 1440],
    '3:2': [1620, 1080],
    '2:3': [1080, 1620],
    '21:9': [2520, 1080],
  };

  it.each(Object.entries(expected))('renders a PNG of the exact size for %s', async (ratio, [width, height]) => {
    const data = await render({ aspect_ratio: ratio, brand: 'Mediagate' });
    const meta = await sharp(data).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', width, height]);
  });

  it('defaults to a 1080×1080 PNG', async () => {
    const meta = await sharp(await render({})).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 1080, 1080]);
  });

  it.each([
    [800, 600],
    [64, 64],
    [333, 1001],
  ])('renders an explicit %i×%i', async (width, height) => {
    const meta = await sharp(await render({ width, height, layout: 'poster', brand: 'Acme' })).metadata();
    expect([meta.width, meta.height]).toEqual([width, height]);
  });

  it('encodes JPEG and WebP with their magic bytes and mime', async () => {
    const jpeg = await generateCard(request({ format: 'jpeg', aspect_ratio: '4:5' }), context());
    const webp = await generateCard(request({ format: 'webp', aspect_ratio: '16:9' }), context());
    const [jpegOut, webpOut] = [jpeg, webp].map((result) => (result.status === 'completed' ? result.outputs[0] : undefined));
    if (jpegOut?.type !== 'bytes' || webpOut?.type !== 'bytes') throw new Error('expected byte outputs');
    expect([...jpegOut.data.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    expect(jpegOut.mime).toBe('image/jpeg');
    expect(Buffer.from(webpOut.data.subarray(0, 4)).toString('latin1')).toBe('RIFF');
    expect(Buffer.from(webpOut.data.subarray(8, 12)).toString('latin1')).toBe('WEBP');
    expect(webpOut.mime).toBe('image/webp');
  });
});

describe('local/card rendering', () => {
  it('gives identical bytes for the same request and different ones for another seed', async () => {
    const params: GenerationParams = { theme: 'neon', layout: 'left', brand: 'Acme', seed: 42 };
    const first = await render(params);
    const second = await render(params);
    expect(Buffer.compare(first, second)).toBe(0);
    expect(Buffer.compare(first, await render({ ...params, seed: 43 }))).not.toBe(0);
  });

  it('renders every theme and layout, with color overrides', async () => {
    for (const theme of ['midnight', 'sunrise', 'paper', 'ocean', 'forest', 'neon', 'mono'] as const) {
      for (const layout of ['centered', 'left', 'poster'] as const) {
        const data = await renderCard({ prompt: `${theme} ${layout}`, params: { theme, layout }, width: 320, height: 240, format: 'png', images: [] });
        expect((await sharp(data).metadata()).width).toBe(320);
      }
    }
    const custom = await render({ colors: { background: '#ffee00', foreground: '#111111', accent: '#e11d48' }, width: 200, height: 200 });
    const { dominant } = await sharp(custom).stats();
    expect(dominant.r).toBeGreaterThan(200);
    expect(dominant.b).toBeLessThan(100);
  });

  it('composites the reference image where the plan puts it', async () => {
    const params: GenerationParams = { layout: 'left', theme: 'paper', seed: 1 };
    const plain = await render(params, 'Field notes');
    const withPhoto = await render(params, 'Field notes', [redImage]);
    expect(Buffer.compare(plain, withPhoto)).not.toBe(0);

    const plan = cardPlan({ prompt: 'Field notes', params, width: 1080, height: 1080, images: [redImage] });
    const rect = plan.photo?.rect;
    if (!rect) throw new Error('a left layout with an image has a photo panel');
    const inset = 0.2; // stay clear of the rounded corners and the frame line
    const [red, green, blue] = await regionMeans(withPhoto, {
      left: Math.round(rect.x + rect.width * inset),
      top: Math.round(rect.y + rect.height * inset),
      width: Math.round(rect.width * (1 - 2 * inset)),
      height: Math.round(rect.height * (1 - 2 * inset)),
    });
    expect(red).toBeGreaterThan(230);
    expect(green).toBeLessThan(25);
    expect(blue).toBeLessThan(25);
  });

  it('puts a full-bleed reference under a scrim for poster and centered layouts', async () => {
    for (const layout of ['poster', 'centered'] as const) {
      const data = await render({ layout, theme: 'midnight', width: 400, height: 400 }, 'Night run', [redImage]);
      const [red = 0, green = 0] = await regionMeans(data, { left: 350, top: 150, width: 40, height: 40 });
      expect(red).toBeGreaterThan(green + 50);
    }
  });

  it('fits a long prompt inside the text box, cutting it only below the smallest size', async () => {
    const long = Array.from({ length: 400 }, (_, index) => `paragraph${index % 17}`).join(' ');
    const medium = 'A quick reminder that our community meetup moves to the new riverside venue next Thursday, with talks, food and a live demo of everything we shipped this spring';
    for (const [prompt, isLong] of [
      [long, true],
      [medium, false],
    ] as const) {
      for (const aspect of [
        [1080, 1080],
        [1920, 1080],
        [1080, 1920],
      ] as const) {
        const plan = cardPlan({ prompt, params: { brand: 'Mediagate' }, width: aspect[0], height: aspect[1], images: [] });
        const { headline, textBox } = plan;
        if (isLong) expect(headline.fontSize).toBeLessThan(plan.sizeRange.max / 2);
        else expect([plan.truncated, headline.fontSize > plan.sizeRange.min]).toEqual([false, true]);
        expect(headline.fontSize).toBeGreaterThanOrEqual(plan.sizeRange.min);
        if (plan.truncated) expect(headline.lines.at(-1)?.words.at(-1)?.text.endsWith('…')).toBe(true);
        for (const line of headline.lines) expect(line.width * headline.fontSize).toBeLessThanOrEqual(textBox.width + 0.5);
        const lastBaseline = headline.baseline + (headline.lines.length - 1) * headline.style.lineHeight * headline.fontSize;
        expect(lastBaseline).toBeLessThanOrEqual(textBox.y + textBox.height);
        expect(plan.eyebrow?.badge.y ?? textBox.y).toBeGreaterThanOrEqual(textBox.y - 0.5);
      }
    }
    const meta = await sharp(await render({ aspect_ratio: '9:16' }, long)).metadata();
    expect(meta.height).toBe(1920);
    // Too much copy for a small canvas even at the smallest size: cut, with an ellipsis.
    const small = cardPlan({ prompt: long, params: {}, width: 128, height: 128, images: [] });
    expect([small.truncated, small.headline.fontSize]).toEqual([true, small.sizeRange.min]);
    expect(small.headline.lines.at(-1)?.words.at(-1)?.text.endsWith('…')).toBe(true);
  });

  it('draws accented Latin and skips characters no bundled font has', async () => {
    const plan = cardPlan({ prompt: 'Grüße aus Zürich — café’s “crème” ǘ 🚀 東京', params: {}, width: 1080, height: 1080, images: [] });
    const glyphs = plan.headline.lines.flatMap((line) => line.words.flatMap((word) => word.glyphs));
    expect(glyphs.length).toBeGreaterThan(10);
    expect(plan.eyebrow?.lines[0]?.words.map((word) => word.text).join(' ')).toBe('GRÜSSE AUS ZÜRICH');
    const meta = await sharp(await render({}, 'Grüße aus Zürich — café’s “crème” ǘ 🚀 東京')).metadata();
    expect(meta.width).toBe(1080);
  });
});

describe('local/card model', () => {
  it('returns n varied outputs and reports progress', async () => {
    const ctx = context();
    const result = await generateCard(request({ n: 2, width: 200, height: 200 }), ctx);
    if (result.status !== 'completed') throw new Error('expected completed');
    const [first, second] = result.outputs;
    if (first?.type !== 'bytes' || second?.type !== 'bytes') throw new Error('expected bytes');
    expect(Buffer.compare(first.data, second.data)).not.toBe(0);
    expect(ctx.updates).toEqual([50, 100]);
  });

  it('throws a canceled ProviderError when the signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await generateCard(request({}), context(controller.signal)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).errorClass).toBe('canceled');
  });

  it('is free and declares only the params it honors', () => {
    expect(cardModel.estimate(request({ n: 3 })).usd).toBe(0);
    expect(cardModel.pricing).toEqual([{ basis: 'free', usd: 0, source: 'local renderer', date: '2026-11-21' }]);
    expect(() => validateAgainstCapabilities('local', cardModel, request({ duration: 5 }))).toThrow(/params\.duration/);
  });

  it('rejects a 9000px width naming params.width', () => {
    const error = captureInputError(() => validateAgainstCapabilities('local', cardModel, request({ width: 9000, height: 1000 })));
    expect(error.field).toBe('params.width');
    expect(error.message).toMatch(/64–4096/);
  });

  it('rejects an unknown aspect ratio listing the allowed ones', () => {
    const error = captureInputError(() => validateAgainstCapabilities('local', cardModel, request({ aspect_ratio: '5:7' })));
    expect(error.field).toBe('params.aspect_ratio');
    expect(error.allowed).toContain('16:9');
    expect(error.message).toContain('21:9');
  });

  it('accepts one reference image and rejects two', () => {
    expect(() => validateAgainstCapabilities('local', cardModel, request({}, 'x', [redImage]))).not.toThrow();
    expect(captureInputError(() => validateAgainstCapabilities('local', cardModel, request({}, 'x', [redImage, redImage]))).field).toBe('image');
  });
});

/** Mean of each channel over a region (stats() alone would measure the whole image). */
async function regionMeans(data: Uint8Array, region: Region): Promise<number[]> {
  const cropped = await sharp(data).extract(region).toBuffer();
  return (await sharp(cropped).stats()).channels.map((channel) => channel.mean);
}

function captureInputError(action: () => void): InputError {
  try {
    action();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}
