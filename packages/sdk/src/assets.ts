// `client.assets` and `client.uploads`: asset metadata, their bytes as a stream or a file,
// expiring links that work without a key, and reference images uploaded for `image_asset_ids`.
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { HttpClient } from './http.ts';
import type { AssetLink, AssetView } from './types.ts';

export interface DownloadResult {
  path: string;
  bytes: number;
  contentType: string | null;
}

export class Assets {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  get(id: string, options: { signal?: AbortSignal } = {}): Promise<AssetView> {
    return this.#http.json<AssetView>(`/v1/assets/${encodeURIComponent(id)}`, { signal: options.signal });
  }

  /** The asset's bytes: read `response.body` as a stream, or `arrayBuffer()` / `blob()`. */
  content(id: string, options: { signal?: AbortSignal } = {}): Promise<Response> {
    return this.#http.open(`/v1/assets/${encodeURIComponent(id)}/content`, { headers: { accept: '*/*' }, signal: options.signal });
  }

  /**
   * A link to the asset's bytes that works without an API key until it expires (`expiresIn`
   * seconds: 60 to 604800, default 3600), for handing to a browser, a player or another service.
   */
  share(id: string, options: { expiresIn?: number; signal?: AbortSignal } = {}): Promise<AssetLink> {
    return this.#http.json<AssetLink>(`/v1/assets/${encodeURIComponent(id)}/share`, {
      method: 'POST',
      body: options.expiresIn === undefined ? {} : { expires_in: options.expiresIn },
      signal: options.signal,
    });
  }

  /** Streams the asset's bytes into a file (Node only); a failed download leaves no partial file. */
  async download(id: string, path: string, options: { signal?: AbortSignal } = {}): Promise<DownloadResult> {
    // Loaded here, not at the top, so the rest of the SDK also runs where there is no filesystem.
    const [{ createWriteStream }, { rm }, { Readable }, { pipeline }] = await Promise.all([
      import('node:fs'),
      import('node:fs/promises'),
      import('node:stream'),
      import('node:stream/promises'),
    ]);
    const response = await this.content(id, options);
    if (response.body === null) throw new Error(`asset ${id}: the answer had no body`);
    let bytes = 0;
    const counted = Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>).on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    try {
      await pipeline(counted, createWriteStream(path), options.signal ? { signal: options.signal } : {});
    } catch (error) {
      await rm(path, { force: true });
      throw error;
    }
    return { path, bytes, contentType: response.headers.get('content-type') };
  }
}

export class Uploads {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  /**
   * Stores an image (PNG, JPEG or WebP) as an asset, to pass in `image_asset_ids`. The server
   * sniffs the bytes; `contentType` (or the Blob's own type) only has to name an image type.
   */
  create(content: Uint8Array | ArrayBuffer | Blob, options: { contentType?: string; signal?: AbortSignal } = {}): Promise<AssetView> {
    const contentType = options.contentType ?? (content instanceof Blob && content.type ? content.type : 'image/png');
    return this.#http.json<AssetView>('/v1/uploads', {
      method: 'POST',
      body: content,
      headers: { 'content-type': contentType },
      signal: options.signal,
    });
  }
}
