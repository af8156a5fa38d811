// Building blocks the provider fakes share: a loopback HTTP server that records every request,
// a queue of injected faults consumed one job at a time, output files that can be made to expire,
// and real media bytes (PNG, JPEG, MP4) so the engine's verification passes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { mp4Video, pngImage } from '../../packages/providers/src/simulated/media.ts';
import type { FakeFault, FakeProvider, RecordedRequest } from './subject.ts';

export type Handler = (request: RecordedRequest, response: ServerResponse) => void | Promise<void>;

export interface FakeServer {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startFakeServer(handler: Handler): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((incoming: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(incoming.headers)) {
        if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
      }
      const recorded: RecordedRequest = { method: incoming.method ?? 'GET', path: incoming.url ?? '/', headers, body: Buffer.concat(chunks) };
      requests.push(recorded);
      Promise.resolve(handler(recorded, response)).catch((error: unknown) => {
        if (!response.headersSent) sendJson(response, 500, { detail: error instanceof Error ? error.message : String(error) });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The FakeProvider a fake answers with: its server's URL and requests, faults queued for the next jobs. */
export function asFakeProvider(server: FakeServer, faults: FaultQueue): FakeProvider {
  return { url: server.url, requests: server.requests, fail: (fault, times) => faults.fail(fault, times), close: () => server.close() };
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

/** Parses a recorded JSON body; undefined when it is not a JSON object. */
export function jsonBody(request: RecordedRequest): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(request.body.toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Faults for the next jobs, in the order they were asked for. */
export class FaultQueue {
  readonly #pending: FakeFault[] = [];

  fail(fault: FakeFault, times = 1): void {
    for (let index = 0; index < times; index++) this.#pending.push(fault);
  }

  /** The fault for the job being submitted now, if any. */
  take(): FakeFault | undefined {
    return this.#pending.shift();
  }
}

interface StoredFile {
  data: Buffer;
  mime: string;
  expired: boolean;
}

/** Output files served at `${url}/files/<name>`, the way a provider's CDN serves them. */
export class OutputFiles {
  readonly #files = new Map<string, StoredFile>();
  #next = 0;

  constructor(private readonly baseUrl: () => string) {}

  add(data: Buffer, mime: string, extension: string, expired = false): string {
    const name = `out-${++this.#next}.${extension}`;
    this.#files.set(name, { data, mime, expired });
    return `${this.baseUrl()}/files/${name}`;
  }

  /** Answers GET /files/<name>; false when the path is not a file route. */
  serve(path: string, response: ServerResponse): boolean {
    const match = /^\/files\/([\w.-]+)$/.exec(path.split('?')[0] ?? '');
    if (!match?.[1]) return false;
    const file = this.#files.get(match[1]);
    if (!file || file.expired) {
      // What a signed CDN URL answers once it has expired.
      response.writeHead(403, { 'content-type': 'application/xml' });
      response.end('<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>');
      return true;
    }
    response.writeHead(200, { 'content-type': file.mime, 'content-length': file.data.length });
    response.end(file.data);
    return true;
  }
}

export async function jpegImage(width: number, height: number, seed = 0): Promise<Buffer> {
  return sharp(pngImage(width, height, seed)).jpeg({ quality: 80 }).toBuffer();
}

export async function webpImage(width: number, height: number, seed = 0): Promise<Buffer> {
  return sharp(pngImage(width, height, seed)).webp().toBuffer();
}

export { mp4Video, pngImage };

/** Never answers: the request stays open until the client gives up or the server closes. */
export function hang(response: ServerResponse): void {
  response.on('close', () => undefined);
}
