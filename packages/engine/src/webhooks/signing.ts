// Standard Webhooks signatures (https://www.standardwebhooks.com/): HMAC-SHA256 over
// "{webhook-id}.{webhook-timestamp}.{body}", keyed with the base64-decoded part of a `whsec_`
// secret, sent as `v1,<base64>`; several space-separated while a rotated secret still counts.
import { createHmac, randomBytes } from 'node:crypto';

export const webhookSecretPrefix = 'whsec_';

/** A new signing secret: `whsec_` and 32 random bytes in base64 (the spec asks for 24 to 64). */
export function generateWebhookSecret(): string {
  return `${webhookSecretPrefix}${randomBytes(32).toString('base64')}`;
}

function secretKey(secret: string): Buffer {
  if (!secret.startsWith(webhookSecretPrefix)) throw new Error('a webhook secret starts with whsec_');
  const key = Buffer.from(secret.slice(webhookSecretPrefix.length), 'base64');
  if (key.length < 24) throw new Error('a webhook secret holds at least 24 bytes');
  return key;
}

/** One `v1,<base64>` signature of a message. */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  const digest = createHmac('sha256', secretKey(secret)).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${digest}`;
}

/** The three Standard Webhooks headers for one attempt, signed with every secret given (current first). */
export function webhookHeaders(message: { id: string; timestampSeconds: number; body: string; secrets: readonly string[] }): Record<string, string> {
  return {
    'webhook-id': message.id,
    'webhook-timestamp': String(message.timestampSeconds),
    'webhook-signature': message.secrets.map((secret) => signWebhook(secret, message.id, message.timestampSeconds, message.body)).join(' '),
  };
}
