// A server on 127.0.0.1 only that hands out images the way a site linked from `image_urls` would:
// a real PNG, a text file dressed as one, an oversized body and a redirect. It records every path
// asked for, so a test can count fetches.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ImageServer {
  base: string;
  /** The paths requested, in order. */
  hits: string[];
  close(): Promise<void>;
}

/**
 * `/photo.png` answers `png`; `/notes.txt` text labelled image/png; `/huge.png` `hugeBytes` of
 * zeros; `/redirect?to=URL` a 302 there; anything else 404.
 */
export async function startImageServer(png: Buffer, hugeBytes = 256 * 1024): Promise<ImageServer> {
  const hits: string[] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://test');
    hits.push(url.pathname);
    if (url.pathname === '/photo.png') response.writeHead(200, { 'content-type': 'image/png' }).end(png);
    else if (url.pathname === '/notes.txt') response.writeHead(200, { 'content-type': 'image/png' }).end('just some text, not an image\n'.repeat(20));
    else if (url.pathname === '/huge.png') response.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(hugeBytes));
    else if (url.pathname === '/redirect') response.writeHead(302, { location: url.searchParams.get('to') ?? '/' }).end();
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    hits,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
