// Redis connections for BullMQ and pub/sub, and the one-line answer when Redis is not there.
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';

export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
  constructor(url: string, cause: unknown) {
    super(
      `Redis is not reachable at ${redactUrl(url)} (${cause instanceof Error ? cause.message : String(cause)}); ` +
        'start one with `redis-server --daemonize yes` or `docker compose up -d redis`, or set REDIS_URL',
    );
  }
}

/** Hides a password in a connection URL so it can be printed. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(unparsable URL)';
  }
}

/** One turn's batch: the corked socket and the work to run before it is uncorked. */
interface Turn {
  /** Corked until the turn's write leaves; undefined while not connected (the offline queue holds commands then). */
  socket: Redis['stream'] | undefined;
  beforeWrite: (() => void)[];
}

/**
 * A connection whose commands of one turn of the event loop leave in one write: the first
 * command of a turn corks the socket and the check phase (setImmediate, after the I/O callbacks
 * of that turn) uncorks it. Same batching as ioredis's auto-pipelining, in the same order, but
 * without its per-turn Pipeline (with a copy of every script defined on the connection), second
 * promise per command and wait for the previous batch's replies: about half the client CPU per
 * command at any concurrency.
 */
class TurnBatchedRedis extends Redis {
  #turn: Turn | undefined;

  override sendCommand(...[command, stream]: Parameters<Redis['sendCommand']>): unknown {
    // Pipelines and transactions write through `stream` and land in the corked socket too.
    if (stream === undefined) this.#batch();
    return super.sendCommand(command, stream);
  }

  /** Runs `work` when this turn's commands are about to leave; the commands it sends go with them. */
  beforeWrite(work: () => void): void {
    this.#batch().beforeWrite.push(work);
  }

  #batch(): Turn {
    if (this.#turn !== undefined) return this.#turn;
    const ready = this.status === 'ready' && this.stream.writable;
    const turn: Turn = { socket: ready ? this.stream : undefined, beforeWrite: [] };
    this.#turn = turn;
    turn.socket?.cork();
    setImmediate(() => {
      try {
        for (const work of turn.beforeWrite) work();
      } finally {
        this.#turn = undefined;
        turn.socket?.uncork();
      }
    });
    return turn;
  }
}

/**
 * Runs `work` at the end of this turn of the event loop, in time for its commands to leave with
 * the turn's others on a `pipelined` connection: for writes that gather what a turn produced.
 */
export function beforeWrite(redis: Redis, work: () => void): void {
  if (redis instanceof TurnBatchedRedis) redis.beforeWrite(work);
  else setImmediate(work);
}

/**
 * A connection as BullMQ wants it: no per-command retry limit, so blocking commands survive.
 * `pipelined` sends the commands issued in one turn in one write (TurnBatchedRedis); it suits
 * connections that never block (the event publisher, the limits and routing stats, the
 * runs-here ledger): a blocking command would hold up the replies behind it.
 */
export function createRedis(url: string, options: { pipelined?: boolean } = {}): Redis {
  const settings = { maxRetriesPerRequest: null, enableReadyCheck: true };
  return options.pipelined === true ? new TurnBatchedRedis(url, settings) : new Redis(url, settings);
}

/**
 * A Lua script run by its SHA1 (EVALSHA), so a call sends its keys and arguments, not its text,
 * and Redis need not hash the text again; after a Redis restart or SCRIPT FLUSH the first call
 * falls back to EVAL, which caches it again. Unlike ioredis's defineCommand it adds nothing to the
 * connection that every pipeline would copy.
 */
export class LuaScript {
  readonly #body: string;
  readonly #sha: string;

  constructor(body: string) {
    this.#body = body;
    this.#sha = createHash('sha1').update(body).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.#sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return await redis.eval(this.#body, keys.length, ...keys, ...args);
    }
  }
}

/** Connects once with a short timeout; throws RedisUnavailableError instead of retrying forever. */
export async function checkRedis(url: string, timeoutMs = 2000): Promise<void> {
  const probe = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  // connect() rejects with "Connection is closed"; the socket's own error says why.
  let socketError: unknown;
  probe.on('error', (error: unknown) => {
    socketError ??= error;
  });
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    throw new RedisUnavailableError(url, socketError ?? error);
  } finally {
    probe.disconnect();
  }
}
