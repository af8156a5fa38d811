// Redis connections for BullMQ and pub/sub, and the one-line answer when Redis is not there.
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

/**
 * A connection as BullMQ wants it: no per-command retry limit, so blocking commands survive.
 * `pipelined` batches the commands issued in one tick into one write; it suits connections
 * that never block and carry few Lua scripts (the event publisher, the limits and routing
 * stats), because every batch copies each script defined on the connection.
 */
export function createRedis(url: string, options: { pipelined?: boolean } = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, enableAutoPipelining: options.pipelined === true });
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
