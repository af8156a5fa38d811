// Test support for the guard suites: a local server on 127.0.0.1 only, and a record of every
// connection undici opens, so a test can prove nothing was dialled beyond loopback.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';

type Handler = (request: IncomingMessage, response: ServerResponse, url: URL) => void;

const routes: Record<string, Handler> = {
  '/ok': (_request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('hello'),
  '/echo': (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const { host, authorization, cookie } = request.headers;
      const body = Buffer.concat(chunks).toString();
      const seen = { method: request.method, host, authorization, cookie, custom: request.headers['x-custom'], body };
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(seen));
    });
  },
  '/redirect': (_request, response, url) => response.writeHead(Number(url.searchParams.get('status') ?? 302), { location: url.searchParams.get('to') ?? '/' }).end(),
  '/chain': (_request, response, url) => {
    const left = Number(url.searchParams.get('n'));
    if (left > 0) response.writeHead(302, { location: `/chain?n=${left - 1}` }).end();
    else response.writeHead(200).end('done');
  },
  '/big-declared': (_request, response) => response.writeHead(200, { 'content-length': '5000' }).end(Buffer.alloc(5000)),
  '/big-chunked': (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/octet-stream' });
    for (let index = 0; index < 10; index++) response.write(Buffer.alloc(1000));
    response.end();
  },
  // 100 kB of zeros that travel as a few hundred bytes: the cap must count what is handed over.
  '/gzip-bomb': (_request, response) => response.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(Buffer.alloc(100_000))),
  '/hang': () => undefined,
  '/slow-body': (_request, response) => {
    response.writeHead(200, { 'content-length': '100' });
    response.write(Buffer.alloc(10));
  },
};

export interface TestServer {
  base: string;
  port: number;
  /** Requests the server received, by path. */
  hits: string[];
  close(): Promise<void>;
}

export async function startTestServer(): Promise<TestServer> {
  const hits: string[] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://test');
    hits.push(url.pathname);
    const handler = routes[url.pathname];
    if (handler) handler(request, response, url);
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    hits,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Host names undici was asked to connect to, and the addresses it actually connected to. */
export function recordConnections(): { attempted: string[]; connected: string[]; stop(): void } {
  const attempted: string[] = [];
  const connected: string[] = [];
  const onBefore = (message: unknown) => attempted.push((message as { connectParams: { hostname: string } }).connectParams.hostname);
  const onConnected = (message: unknown) => connected.push((message as { socket: Socket }).socket.remoteAddress ?? '?');
  subscribe('undici:client:beforeConnect', onBefore);
  subscribe('undici:client:connected', onConnected);
  return {
    attempted,
    connected,
    stop: () => {
      unsubscribe('undici:client:beforeConnect', onBefore);
      unsubscribe('undici:client:connected', onConnected);
    },
  };
}

/** A resolver answering from a table (in order per call when a name has several answers). */
export function tableResolver(table: Record<string, string[] | string[][]>): { resolve: (hostname: string) => Promise<string[]>; calls: string[] } {
  const calls: string[] = [];
  const resolve = async (hostname: string): Promise<string[]> => {
    const answers = table[hostname];
    const asked = calls.filter((name) => name === hostname).length;
    calls.push(hostname);
    if (answers === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    const first = answers[0];
    if (Array.isArray(first)) return (answers as string[][])[Math.min(asked, answers.length - 1)] ?? [];
    return answers as string[];
  };
  return { resolve, calls };
}
