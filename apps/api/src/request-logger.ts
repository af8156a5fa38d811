// The logger Fastify gives each request (`request.log`), made only when the request logs: with
// per-request lines off, nearly every request logs nothing, and a pino child per request (its
// bindings serialized up front) was a measurable share of a request's CPU.
import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';

type Bindings = Parameters<FastifyBaseLogger['child']>[0];
type ChildOptions = Parameters<FastifyBaseLogger['child']>[1];
type Log = (...args: unknown[]) => void;

export class DeferredChildLogger implements FastifyBaseLogger {
  readonly #parent: FastifyBaseLogger;
  readonly #bindings: Bindings;
  readonly #options: ChildOptions;
  #child: FastifyBaseLogger | undefined;

  constructor(parent: FastifyBaseLogger, bindings: Bindings, options: ChildOptions) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  /** The child as Fastify would have made it, on first use. */
  get #logger(): FastifyBaseLogger {
    this.#child ??= this.#parent.child(this.#bindings, this.#options);
    return this.#child;
  }

  get level(): FastifyBaseLogger['level'] {
    return this.#logger.level;
  }

  set level(level: FastifyBaseLogger['level']) {
    this.#logger.level = level;
  }

  fatal(...args: unknown[]): void {
    (this.#logger.fatal as Log)(...args);
  }

  error(...args: unknown[]): void {
    (this.#logger.error as Log)(...args);
  }

  warn(...args: unknown[]): void {
    (this.#logger.warn as Log)(...args);
  }

  info(...args: unknown[]): void {
    (this.#logger.info as Log)(...args);
  }

  debug(...args: unknown[]): void {
    (this.#logger.debug as Log)(...args);
  }

  trace(...args: unknown[]): void {
    (this.#logger.trace as Log)(...args);
  }

  silent(...args: unknown[]): void {
    (this.#logger.silent as Log)(...args);
  }

  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.#logger.child(bindings, options);
  }
}

/** Fastify's `childLoggerFactory` option. */
export const deferredChildLogger: NonNullable<FastifyServerOptions['childLoggerFactory']> = (logger, bindings, options) => new DeferredChildLogger(logger, bindings, options);
