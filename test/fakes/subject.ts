// The contract between each cloud provider's fake (test/fakes/<id>/) and the shared conformance
// suite: every adapter is run through the same scenarios against a fake that speaks its
// provider's documented API. Each provider folder exports one ConformanceSubject; subjects.ts
// lists them all.
import type { GenerationRequestInput } from '@mediagate/core';
import type { ProviderAdapter, ProviderKey } from '@mediagate/providers';

/**
 * Faults a fake injects, each in the provider's own documented form (status, headers, body or
 * async state), for the next `times` jobs it receives, at the stage where that provider reports it.
 */
export type FakeFault =
  /** 429 with the provider's body and its Retry-After / rate-limit headers. */
  | 'rate_limit'
  /** A 5xx with the provider's error body. */
  | 'server_error'
  /** The provider's content-policy refusal: an error body, a "moderated" state, a finish reason… */
  | 'content_policy'
  /** A success status with a body that is not what the API documents. */
  | 'malformed'
  /**
   * The request is accepted and never answered. For async work the submit is answered (so an
   * operation is stored) and the status polls are not: that is what cancel and timeout act on.
   */
  | 'hang'
  /** The output URL answers as an expired one does (e.g. 403/404 from the CDN). */
  | 'expired_output';

export interface RecordedRequest {
  method: string;
  /** Path with query string. */
  path: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  body: Buffer;
}

export interface FakeProvider {
  /** Base URL to point the adapter at (loopback). */
  url: string;
  /** Every request the fake received, in order (output downloads included). */
  requests: RecordedRequest[];
  fail(fault: FakeFault, times?: number): void;
  close(): Promise<void>;
}

export interface ConformanceCase {
  name: string;
  /** A request for the engine, e.g. { kind: 'image', model: 'openai/gpt-image-1', prompt: '…' }. */
  request: GenerationRequestInput;
  /** Whether the provider answers this request through an operation that is polled. */
  async: boolean;
  /** Mime of the verified output, e.g. image/png. */
  mime: string;
  /**
   * Faults that cannot happen on this case, with the reason (e.g. expired_output when the
   * provider returns the media inline): the shared suite skips those scenarios for it.
   */
  notApplicable?: Partial<Record<FakeFault, string>>;
}

export interface ConformanceSubject {
  /** The adapter's id, e.g. "openai". */
  provider: string;
  start(): Promise<FakeProvider>;
  /** The adapter pointed at the fake, polling fast enough for tests. */
  adapter(fake: FakeProvider): ProviderAdapter;
  /** A key the fake accepts. */
  key: ProviderKey;
  /** A key the fake refuses as the real API does (401/403 with its error body). */
  badKey: ProviderKey;
  /** At least one case per kind and mode the adapter supports (sync and async where both exist). */
  cases: ConformanceCase[];
  /** Whether work already started can be cancelled at the provider. */
  cancel: boolean;
}
