// Signatures checked against the spec's own construction (HMAC-SHA256 over "id.timestamp.body",
// key = base64-decoded secret after whsec_) and against the independent `standardwebhooks` package.
import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { generateWebhookSecret, signWebhook, webhookHeaders } from './signing.ts';

describe('webhook signing', () => {
  it('makes whsec_ secrets of 32 random bytes', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(secret);
  });

  it('signs "{id}.{timestamp}.{body}" with the decoded key, as v1,<base64>', () => {
    const key = Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'utf8');
    const secret = `whsec_${key.toString('base64')}`;
    const body = '{"type":"job.succeeded","timestamp":"2026-11-21T09:00:00.000Z","data":{"id":"job_1"}}';
    const expected = createHmac('sha256', key).update(`msg_job_1.1795251600.${body}`).digest('base64');
    expect(signWebhook(secret, 'msg_job_1', 1795251600, body)).toBe(`v1,${expected}`);
  });

  it('produces headers the standardwebhooks verifier accepts, and rejects when anything changes', () => {
    const secret = generateWebhookSecret();
    const body = JSON.stringify({ type: 'job.failed', timestamp: new Date().toISOString(), data: { id: 'job_x', prompt: 'ünïcødé ✓' } });
    const headers = webhookHeaders({ id: 'msg_job_x', timestampSeconds: Math.floor(Date.now() / 1000), body, secrets: [secret] });
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow();
    expect(() => new Webhook(secret).verify(body, { ...headers, 'webhook-id': 'msg_other' })).toThrow();
    expect(() => new Webhook(generateWebhookSecret()).verify(body, headers)).toThrow();
    // The verifier refuses timestamps outside its tolerance: the timestamp is signed, not decoration.
    const old = webhookHeaders({ id: 'msg_job_x', timestampSeconds: Math.floor(Date.now() / 1000) - 3600, body, secrets: [secret] });
    expect(() => new Webhook(secret).verify(body, old)).toThrow();
  });

  it('sends one signature per secret, space-separated, each verifiable on its own', () => {
    const current = generateWebhookSecret();
    const previous = generateWebhookSecret();
    const body = '{"type":"job.canceled"}';
    const headers = webhookHeaders({ id: 'msg_job_y', timestampSeconds: Math.floor(Date.now() / 1000), body, secrets: [current, previous] });
    expect(headers['webhook-signature']?.split(' ')).toHaveLength(2);
    expect(() => new Webhook(current).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(previous).verify(body, headers)).not.toThrow();
  });
});
