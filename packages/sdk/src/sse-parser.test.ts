// The event-stream parser on its own: fields, comments, multi-line data, and frames split at
// every possible chunk boundary (including between the CR and LF of a line ending).
import { describe, expect, it } from 'vitest';
import { parseEventStream, type SseEvent } from './sse-parser.ts';

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function parse(chunks: string[]): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  for await (const event of parseEventStream(streamOf(chunks))) events.push(event);
  return events;
}

const wire = '\uFEFF: ping\r\nid: 1\r\nevent: queued\r\ndata: {"a":1}\r\n\r\n: comment\nid: 2\nevent: progress\ndata: line one\ndata:line two\nretry: 500\n\ndata\n\rid: 3\rdata: {"c":3}\r\rid: 4\ndata: cut off';

const expected: SseEvent[] = [
  { id: '1', event: 'queued', data: '{"a":1}', retry: undefined },
  { id: '2', event: 'progress', data: 'line one\nline two', retry: 500 },
  { id: undefined, event: 'message', data: '', retry: undefined },
  { id: '3', event: 'message', data: '{"c":3}', retry: undefined },
];

describe('parseEventStream', () => {
  it('reads ids, names, multi-line data and retry, skips comments and drops an unfinished frame', async () => {
    expect(await parse([wire])).toEqual(expected);
  });

  it('gives the same events however the bytes are split', async () => {
    for (let cut = 1; cut < wire.length; cut++) {
      expect(await parse([wire.slice(0, cut), wire.slice(cut)])).toEqual(expected);
    }
    expect(await parse([...wire])).toEqual(expected);
  });

  it('decodes a multi-byte character split across chunks', async () => {
    const bytes = new TextEncoder().encode('data: café ☕\n\n');
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const byte of bytes) controller.enqueue(new Uint8Array([byte]));
        controller.close();
      },
    });
    const events: SseEvent[] = [];
    for await (const event of parseEventStream(body)) events.push(event);
    expect(events.map((event) => event.data)).toEqual(['café ☕']);
  });
});
