// The signature shortcut must name exactly what file-type names, or leave the decision to it.
import { fileTypeFromBuffer } from 'file-type';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { imageSignature } from './image-signature.ts';

const fileTypeFormat: Record<string, string> = { png: 'png', apng: 'png', jpg: 'jpeg', gif: 'gif', webp: 'webp' };

async function encoded(): Promise<Record<string, Buffer>> {
  const input = () => sharp({ create: { width: 40, height: 30, channels: 4, background: '#0f08' } });
  return {
    png: await input().png().toBuffer(),
    jpeg: await input().jpeg().toBuffer(),
    progressiveJpeg: await input().jpeg({ progressive: true }).toBuffer(),
    gif: await input().gif().toBuffer(),
    lossyWebp: await input().webp({ quality: 50 }).toBuffer(),
    losslessWebp: await input().webp({ lossless: true }).toBuffer(),
  };
}

/** The PNG with an acTL chunk (an animated PNG's control chunk) before its image data. */
function withAnimationControl(png: Buffer): Buffer {
  const acTL = Buffer.alloc(20);
  acTL.writeUInt32BE(8, 0);
  acTL.write('acTL', 4, 'latin1');
  acTL.writeUInt32BE(1, 8);
  const afterHeader = 8 + 25;
  return Buffer.concat([png.subarray(0, afterHeader), acTL, png.subarray(afterHeader)]);
}

describe('imageSignature', () => {
  it('names every image format as file-type does', async () => {
    const images = await encoded();
    const all = { ...images, apng: withAnimationControl(images.png ?? Buffer.alloc(0)) };
    for (const [name, bytes] of Object.entries(all)) {
      const detected = await fileTypeFromBuffer(bytes);
      expect([name, imageSignature(bytes)]).toEqual([name, fileTypeFormat[detected?.ext ?? '']]);
    }
  });

  it('leaves to file-type what only it can tell', async () => {
    const images = await encoded();
    const png = Buffer.from(images.png ?? Buffer.alloc(0));
    png.write('IHDX', 12, 'latin1');
    expect(imageSignature(png)).toBeUndefined();
    expect(await fileTypeFromBuffer(png)).toBeUndefined();

    const jpegLs = Buffer.from([0xff, 0xd8, 0xff, 0xf7, 0, 0, 0, 0]);
    expect(imageSignature(jpegLs)).toBeUndefined();
    expect((await fileTypeFromBuffer(jpegLs))?.ext).toBe('jls');

    const wav = Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ', 'latin1');
    expect(imageSignature(wav)).toBeUndefined();
    expect(imageSignature(Buffer.from('just text'))).toBeUndefined();
  });
});
