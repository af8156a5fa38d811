// What the URL guard throws — a refused URL or a broken size/time limit — and the two mappings
// into the project's error types; which one applies is the caller's call (whose URL was it?).
import { InputError, ProviderError } from '@mediagate/core';

export type BlockReason =
  | 'invalid_url' // not a URL, or a redirect Location that is not one
  | 'scheme' // anything but http: and https:
  | 'credentials' // user:password@ in the URL
  | 'hostname' // a cloud-metadata host name
  | 'address' // a literal or resolved address in a forbidden range
  | 'redirects'; // more hops than allowed, or a redirect where none may be followed

/** The guard refused to send a request to this URL; nothing was sent to it. */
export class BlockedUrlError extends Error {
  override readonly name = 'BlockedUrlError';

  constructor(
    readonly reason: BlockReason,
    message: string,
    /** Origin and path of the refused URL (no query: it may carry keys). */
    readonly url: string,
    /** The forbidden address, for reason 'address'. */
    readonly address?: string,
  ) {
    super(message);
  }
}

/** The answer was larger than maxBytes, or the exchange outlived timeoutMs. */
export class FetchLimitError extends Error {
  override readonly name = 'FetchLimitError';

  constructor(
    readonly limit: 'size' | 'time',
    message: string,
    readonly url: string,
  ) {
    super(message);
  }
}

export type GuardError = BlockedUrlError | FetchLimitError;

export function isGuardError(error: unknown): error is GuardError {
  return error instanceof BlockedUrlError || error instanceof FetchLimitError;
}

/**
 * For URLs a provider handed us (outputs, redirects of our own calls): a refused URL is the
 * provider answering something its API does not promise (`malformed`), an oversized body is
 * `output_invalid`, running out of time is `timeout`.
 */
export function asProviderError(provider = 'provider'): (error: GuardError) => ProviderError {
  return (error) => {
    const errorClass = error instanceof BlockedUrlError ? 'malformed' : error.limit === 'size' ? 'output_invalid' : 'timeout';
    return new ProviderError(errorClass, `${provider}: ${error.message}`, { cause: error });
  };
}

/** For URLs a caller supplied (a reference image by URL): a 4xx naming the request field. */
export function asInputError(field: string): (error: GuardError) => InputError {
  return (error) => {
    const [code, status] =
      error instanceof BlockedUrlError ? ['url_not_allowed', 400] : error.limit === 'size' ? ['url_too_large', 413] : ['url_timeout', 400];
    return Object.assign(new InputError(`${field}: ${error.message}`, { field, code, status }), { cause: error });
  };
}
