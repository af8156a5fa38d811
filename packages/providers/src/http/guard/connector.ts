// The undici Agent behind the guarded fetch: it resolves each host once, checks every address,
// and connects to a checked address itself, so DNS cannot answer differently after the check.
import { isIP } from 'node:net';
import { Agent, buildConnector } from 'undici';
import type { GuardPolicy } from './policy.ts';
import { defaultPort } from './policy.ts';

// Worth trying the host's next address after these; anything else (TLS, a refusal) is final.
const unreachable = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT']);

function errorCode(error: Error): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

export interface GuardedAgentOptions {
  /** Per-address TCP + TLS handshake limit (undici's default: 10 s). */
  connectTimeoutMs?: number;
}

export function createGuardedAgent(policy: GuardPolicy, options: GuardedAgentOptions = {}): Agent {
  const connectTo = buildConnector({ timeout: options.connectTimeoutMs ?? 10_000 });

  const connect: buildConnector.connector = (target, callback) => {
    const port = Number(target.port) || defaultPort(target.protocol);
    const shown = `${target.protocol}//${target.host ?? target.hostname}`;
    // TLS must still name and verify the host, not the address we dial.
    const servername = target.servername || (isIP(target.hostname) ? undefined : target.hostname);
    const attempt = (addresses: readonly string[], index: number): void => {
      connectTo({ ...target, hostname: addresses[index] ?? '', servername }, (...result) => {
        const [error] = result;
        const code = error ? errorCode(error) : undefined;
        if (code !== undefined && unreachable.has(code) && index + 1 < addresses.length) attempt(addresses, index + 1);
        else callback(...result);
      });
    };
    policy.addressesFor(target.hostname, port, shown).then(
      (addresses) => attempt(addresses, 0),
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), null),
    );
  };

  return new Agent({ connect });
}
