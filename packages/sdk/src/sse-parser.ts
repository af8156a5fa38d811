// Reads a `text/event-stream` body into events, as the WHATWG EventSource parser does: `id`,
// `event`, `data` (lines joined by "\n") and `retry` fields, comments skipped, any line ending.

export interface SseEvent {
  /** The `id:` of this event, if it had one (the server's ids are the job event's seq). */
  id: string | undefined;
  /** The `event:` name; `message` when absent. */
  event: string;
  data: string;
  /** A `retry:` the server sent with this event, ms. */
  retry: number | undefined;
}

/** Splits decoded text into lines, holding back a partial line (and a CR that may precede LF). */
class LineSplitter {
  #buffer = '';

  push(text: string): string[] {
    this.#buffer += text;
    const lines: string[] = [];
    let start = 0;
    for (let index = 0; index < this.#buffer.length; index++) {
      const char = this.#buffer[index];
      if (char !== '\n' && char !== '\r') continue;
      // A CR at the very end may be the first half of CRLF: wait for the next chunk.
      if (char === '\r' && index === this.#buffer.length - 1) break;
      lines.push(this.#buffer.slice(start, index));
      if (char === '\r' && this.#buffer[index + 1] === '\n') index++;
      start = index + 1;
    }
    this.#buffer = this.#buffer.slice(start);
    return lines;
  }
}

/** The events in `body`, as they arrive. An event cut off by the end of the stream is dropped. */
export async function* parseEventStream(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder('utf-8');
  const splitter = new LineSplitter();
  let data: string[] = [];
  let event = '';
  let id: string | undefined;
  let retry: number | undefined;
  let first = true;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      let text = decoder.decode(value, { stream: true });
      if (first && text.length > 0) {
        first = false;
        if (text.startsWith('\uFEFF')) text = text.slice(1);
      }
      for (const line of splitter.push(text)) {
        if (line === '') {
          if (data.length > 0) yield { id, event: event || 'message', data: data.join('\n'), retry };
          data = [];
          event = '';
          id = undefined;
          retry = undefined;
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const name = colon === -1 ? line : line.slice(0, colon);
        let value = colon === -1 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (name === 'data') data.push(value);
        else if (name === 'event') event = value;
        else if (name === 'id' && !value.includes('\0')) id = value;
        else if (name === 'retry' && /^\d+$/.test(value)) retry = Number(value);
      }
    }
  } finally {
    // Leaving early (a `break`, an abort) releases the connection instead of draining it.
    await reader.cancel().catch(() => undefined);
  }
}
