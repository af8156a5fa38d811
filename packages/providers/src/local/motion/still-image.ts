// Makes the one still frame local/motion animates: the reference image (image-to-video) or a
// rendered card (text-to-video), cover-fitted and written as raw RGB for ffmpeg to read once.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { ProviderError } from '@mediagate/core';
import type { ProviderRequest } from '../../contract.ts';
import { renderCard } from '../card/index.ts';

export interface Still {
  path: string;
  width: number;
  height: number;
}

export interface StillSize {
  /** The video's own size: a card is designed at it, so its text is laid out for that frame. */
  width: number;
  height: number;
  /** The size the frame is handed to ffmpeg at (larger for zoom, pan and rotate). */
  sourceWidth: number;
  sourceHeight: number;
}

async function sourceImage(request: ProviderRequest, size: StillSize): Promise<Buffer | string> {
  const image = request.images[0];
  if (image !== undefined) return image.path;
  return renderCard({
    prompt: request.prompt,
    params: request.params,
    width: size.width,
    height: size.height,
    format: 'png',
    images: [],
  });
}

export async function prepareStill(request: ProviderRequest, size: StillSize, tmpDir: string): Promise<Still> {
  const input = await sourceImage(request, size);
  const raw = await toRawRgb(input, size).catch((error: unknown) => {
    const reason = error instanceof Error ? error.message : String(error);
    // The worker verified the reference image already, so a decode failure here is ours to retry.
    throw new ProviderError('server', `motion: could not prepare the still frame: ${reason}`, { cause: error });
  });
  if (raw.info.channels !== 3) {
    throw new ProviderError('server', `motion: still frame has ${raw.info.channels} channels, expected RGB`);
  }
  const path = join(tmpDir, `motion-still-${randomBytes(4).toString('hex')}.rgb`);
  await writeFile(path, raw.data);
  return { path, width: raw.info.width, height: raw.info.height };
}

interface RawFrame {
  data: Buffer;
  info: { width: number; height: number; channels: number };
}

function toRawRgb(input: Buffer | string, size: StillSize): Promise<RawFrame> {
  return (
    sharp(input)
      // Phone photos carry their orientation in EXIF; ffmpeg would ignore it and show them sideways.
      .rotate()
      // Video has no alpha: transparent areas become black, as a letterbox would be.
      .flatten({ background: '#000000' })
      .resize(size.sourceWidth, size.sourceHeight, { fit: 'cover', position: 'centre', kernel: 'lanczos3' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true })
  );
}
