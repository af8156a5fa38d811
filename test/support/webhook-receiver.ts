// A webhook receiver for tests: a real HTTP server on 127.0.0.1 that records every request
// (headers, exact body bytes, arrival time) and answers from a script of status codes.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Date.now() when the body had arrived. */
  at: number;
}

export interface WebhookReceiver {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  received: ReceivedWebhook[];
  /** The next answers, in order (then 200 again); a `retryAfter` adds a Retry-After header in seconds. */
  script(...answers: (number | { status: number; retryAfter?: number; delayMs?: number })[]): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const answers: { status: number; retryAfter?: number; delayMs?: number }[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ path: request.url ?? '/', headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      const answer = answers.shift() ?? { status: 200 };
      const send = () => {
        if (response.destroyed) return;
        response.writeHead(answer.status, {
          'content-type': 'text/plain',
          ...(answer.retryAfter === undefined ? {} : { 'retry-after': String(answer.retryAfter) }),
        });
        response.end(answer.status >= 300 ? `refused with ${answer.status}` : 'ok');
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    script(...next) {
      answers.push(...next.map((answer) => (typeof answer === 'number' ? { status: answer } : answer)));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
