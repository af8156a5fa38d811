// Provider requests through undici's dispatcher, with one handler per request that is also the
// answer: it keeps the body's chunks as they arrive. undici's request API wraps each call in an
// async resource, a body stream and abort listeners, more CPU than the exchange for a small answer.
import { Agent, errors, type Dispatcher } from 'undici';
import type { Answer } from './answer.ts';
import { nextHop, type Hop } from './redirects.ts';

/** The request an exchange belongs to: its abort state, and the exchange under way, aborted with it. */
export interface Exchanging {
  readonly aborted: boolean;
  readonly reason: unknown;
  current: Exchange | undefined;
}

type IncomingHeaders = Record<string, string | string[] | undefined>;

/** What undici reports for a body the reader gave up on: the connection is dropped, not reused. */
function discarded(): Error {
  return new Error('body discarded');
}

/**
 * One request and its answer. Promises settle once: the answer when its headers arrive, the body
 * when it ends; an abort or a failure settles whichever is still open, and later events from
 * undici are ignored.
 */
export class Exchange implements Dispatcher.DispatchHandler, Answer {
  readonly hasBody = true;
  readonly answered: Promise<Exchange>;
  status = 0;
  #raw: IncomingHeaders = {};
  #headers: Headers | undefined;
  #state: 'open' | 'ended' | 'failed' | 'stopped' = 'open';
  #failure: unknown;
  #controller: Dispatcher.DispatchController | undefined;
  /** Chunks that arrived before anyone read the body. */
  #early: Buffer[] = [];
  #take: ((chunk: Uint8Array) => boolean) | undefined;
  #answer: { resolve(exchange: Exchange): void; reject(reason: unknown): void } | undefined;
  #body: { resolve(): void; reject(reason: unknown): void } | undefined;

  constructor() {
    this.answered = new Promise((resolve, reject) => {
      this.#answer = { resolve, reject };
    });
  }

  get headers(): Headers {
    if (!this.#headers) {
      const headers = new Headers();
      for (const [name, value] of Object.entries(this.#raw)) {
        if (Array.isArray(value)) for (const item of value) headers.append(name, item);
        else if (value !== undefined) headers.set(name, value);
      }
      this.#headers = headers;
    }
    return this.#headers;
  }

  /** Location as undici parsed it (repeated headers stay a list), for redirects. */
  get location(): string | string[] | undefined {
    return this.#raw.location;
  }

  header(name: string): string | null {
    const value = this.#raw[name];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(', ') : value;
  }

  eachChunk(take: (chunk: Uint8Array) => boolean): Promise<void> {
    const early = this.#early;
    this.#early = [];
    for (const chunk of early) {
      if (!take(chunk)) {
        this.#stop();
        return Promise.resolve();
      }
    }
    if (this.#state === 'failed') return Promise.reject(this.#failure);
    if (this.#state !== 'open') return Promise.resolve();
    this.#take = take;
    return new Promise((resolve, reject) => {
      this.#body = { resolve, reject };
    });
  }

  async discard(): Promise<void> {
    this.#stop();
  }

  /** Aborts the request wherever it is: still queued, waiting for headers or reading the body. */
  abort(reason: unknown): void {
    if (this.#state !== 'open') return;
    this.#fail(reason);
    this.#controller?.abort(reason as Error);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#state === 'failed') controller.abort(this.#failure as Error);
    else if (this.#state === 'stopped') controller.abort(discarded());
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHeaders): void {
    // 1xx answers are informational; the real one follows.
    if (statusCode < 200 || this.#state !== 'open') return;
    this.status = statusCode;
    this.#raw = headers;
    this.#answer?.resolve(this);
    this.#answer = undefined;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#state !== 'open') return;
    if (this.#take === undefined) this.#early.push(chunk);
    else if (!this.#take(chunk)) this.#stop();
  }

  onResponseEnd(): void {
    if (this.#state !== 'open') return;
    this.#state = 'ended';
    this.#take = undefined;
    this.#body?.resolve();
    this.#body = undefined;
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.#state === 'open') this.#fail(error);
  }

  #fail(reason: unknown): void {
    this.#state = 'failed';
    this.#failure = reason;
    this.#take = undefined;
    this.#answer?.reject(reason);
    this.#answer = undefined;
    this.#body?.reject(reason);
    this.#body = undefined;
  }

  /** The reader wants no more: drops the rest of the body and its connection. */
  #stop(): void {
    if (this.#state !== 'open') return;
    this.#state = 'stopped';
    this.#take = undefined;
    this.#early = [];
    this.#controller?.abort(discarded());
    this.#body?.resolve();
    this.#body = undefined;
  }
}

interface Target {
  origin: string;
  path: string;
}

/** Parsed targets by URL: an adapter sends most requests to the same few URLs. */
const targets = new Map<string, Target>();
const maxTargets = 256;

function targetOf(url: string | URL): Target {
  const key = typeof url === 'string' ? url : undefined;
  const known = key === undefined ? undefined : targets.get(key);
  if (known) return known;
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new errors.InvalidArgumentError('Invalid URL protocol: the URL must start with `http:` or `https:`.');
  }
  const target = { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
  if (key !== undefined) {
    if (targets.size >= maxTargets) targets.clear();
    targets.set(key, target);
  }
  return target;
}

/** undici's own client; its own agent, as the global dispatcher may be Node's built-in copy of undici. */
let direct: Dispatcher | undefined;

function exchange(call: Exchanging, url: string | URL, method: string, headers: Record<string, string>, body: string | Uint8Array | null): Promise<Exchange> {
  if (call.aborted) return Promise.reject(call.reason);
  const { origin, path } = targetOf(url);
  const current = new Exchange();
  call.current = current;
  direct ??= new Agent();
  direct.dispatch({ origin, path, method: method as Dispatcher.HttpMethod, headers, body }, current);
  return current.answered;
}

/**
 * Sends one request and answers once its headers are in; redirects are followed here, as fetch
 * follows them (see redirects.ts). No decompression: the bytes are asked for as they are.
 */
export async function sendDirect(
  call: Exchanging,
  url: string | URL,
  method: string,
  headers: Record<string, string>,
  body: string | Uint8Array | null,
): Promise<Answer> {
  if (!('accept-encoding' in headers)) headers['accept-encoding'] = 'identity';
  let answer = await exchange(call, url, method, headers, body);
  if (answer.status < 300 || answer.status > 399) return answer;
  const visited: string[] = [];
  let hop: Hop = { url: String(url), method, headers, body };
  for (let next = nextHop(hop, answer.status, answer.location, visited); next; next = nextHop(hop, answer.status, answer.location, visited)) {
    // A redirect's own body is read and dropped, so its connection stays open for reuse.
    await answer.eachChunk(() => true);
    hop = next;
    answer = await exchange(call, hop.url, hop.method, hop.headers, hop.body);
  }
  return answer;
}
