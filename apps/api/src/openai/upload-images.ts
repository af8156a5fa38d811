// Reference images sent with an OpenAI request: probed as real images before anything is
// written (so a bad request leaves no assets), then stored as assets the job refers to.
import { InputError } from '@mediagate/core';
import { importImageFile, probeImageFile, type Runtime } from '@mediagate/engine';
import type { ImageInput } from '@mediagate/providers';
import type { UploadedFile } from './form.ts';

/** Runs `work` with probe and import errors naming the client's file instead of a scratch path. */
async function naming<T>(file: UploadedFile, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    const message = error.message.replaceAll(file.path, `the uploaded file ${JSON.stringify(file.filename)}`);
    throw new InputError(message.replace(/^image: /, `${file.field}: `), {
      field: file.field,
      ...(error.allowed ? { allowed: error.allowed } : {}),
    });
  }
}

export function probeUploads(files: readonly UploadedFile[]): Promise<ImageInput[]> {
  return Promise.all(
    files.map((file) =>
      naming(file, async () => {
        const { path, mime, width, height } = await probeImageFile(file.path, file.field);
        return { path, mime, width, height };
      }),
    ),
  );
}

/** Stores each file as an image asset of the tenant; returns their ids in order. */
export async function importUploads(runtime: Runtime, tenantId: string, files: readonly UploadedFile[]): Promise<string[]> {
  const ids: string[] = [];
  for (const file of files) ids.push((await naming(file, () => importImageFile(runtime, tenantId, file.path))).id);
  return ids;
}
