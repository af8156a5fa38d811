// Downloads a provider's output URL to a local file right away (provider URLs expire), with a
// size cap and truncation check. The URL and every redirect pass the runtime's URL guard.
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ProviderError } from '@mediagate/core';

export interface DownloadOptions {
  headers?: Record<string, string>;
  maxBytes: number;
  signal: AbortSignal;
  /** The guarded fetch (`runtime.outputFetch`): a provider's URL is never fetched unchecked. */
  fetch: (url: string, init: RequestInit) => Promise<Response>;
}

export async function downloadToFile(url: string, destination: string, options: DownloadOptions): Promise<number> {
  let response: Response;
  try {
    response = await options.fetch(url, { headers: options.headers ?? {}, signal: options.signal, redirect: 'follow' });
  } catch (error) {
    if (options.signal.aborted) throw options.signal.reason;
    // Already classified: the guard refused the URL or a limit broke.
    if (error instanceof ProviderError) throw error;
    throw new ProviderError('network', `downloading output failed: ${(error as Error).message}`, { cause: error });
  }
  if (!response.ok || response.body === null) {
    // Release the connection; the body of a refusal is of no use here.
    await response.body?.cancel().catch(() => undefined);
    const gone = response.status === 404 || response.status === 410 || response.status === 403;
    throw new ProviderError('server', `output URL answered ${response.status}${gone ? ' (expired or gone)' : ''}`, { status: response.status });
  }
  // A compressed body's Content-Length counts compressed bytes, not what fetch hands over.
  const encoded = (response.headers.get('content-encoding') ?? 'identity') !== 'identity';
  const declared = encoded ? NaN : Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > options.maxBytes) {
    throw new ProviderError('output_invalid', `output is ${declared} bytes, over the ${options.maxBytes}-byte limit`);
  }
  let received = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      if (received > options.maxBytes) callback(new ProviderError('output_invalid', `output exceeds the ${options.maxBytes}-byte limit`));
      else callback(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), counter, createWriteStream(destination));
  } catch (error) {
    if (error instanceof ProviderError) throw error;
    if (options.signal.aborted) throw options.signal.reason;
    // A full disk is ours to fix, not the provider's: retrying would only pay again.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EACCES' || code === 'EROFS') throw error;
    throw new ProviderError('network', `output download broke off after ${received} bytes: ${(error as Error).message}`, { cause: error });
  }
  if (Number.isFinite(declared) && received !== declared) {
    throw new ProviderError('network', `output download truncated: ${received} of ${declared} bytes`);
  }
  return received;
}
