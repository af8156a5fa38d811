// The process's master secret and what is derived from it: authenticated encryption for secrets
// kept at rest (provider keys, webhook signing secrets) and HMAC signatures (shareable asset
// URLs). Each use gets its own key derived with HKDF, so a signature can never be replayed as a
// ciphertext or across purposes.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export type SecretPurpose = 'provider-keys' | 'webhook-secrets' | 'asset-urls';

export interface Secrets {
  /** Where the master secret came from: the environment, or a file generated under the home directory. */
  readonly source: 'MEDIAGATE_SECRET' | 'file';
  /** Encrypts `plaintext` (AES-256-GCM); the result is printable and starts with "v1.". */
  seal(purpose: SecretPurpose, plaintext: string): string;
  /** Decrypts what `seal` produced; throws SecretError when it was sealed under another secret or altered. */
  open(purpose: SecretPurpose, sealed: string): string;
  /** HMAC-SHA256 of `data`, base64url. */
  sign(purpose: SecretPurpose, data: string): string;
  /** Constant-time check of a `sign` result. */
  verify(purpose: SecretPurpose, data: string, signature: string): boolean;
}

export class SecretError extends Error {
  override name = 'SecretError';
}

const minimumLength = 32;

/** The master secret file used when MEDIAGATE_SECRET is unset. */
export function secretFilePath(home: string): string {
  return path.join(home, 'secret');
}

function readOrCreateSecretFile(home: string): Buffer {
  const file = secretFilePath(home);
  try {
    return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(home, { recursive: true });
  const secret = randomBytes(32);
  try {
    // 'wx': when two processes start at once, one writes and the other reads the winner's file.
    writeFileSync(file, `${secret.toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url');
  }
}

/**
 * `MEDIAGATE_SECRET` (at least 32 characters) when set; otherwise a random secret generated once
 * into `<home>/secret` (mode 0600). Processes on different machines that share a database must
 * share MEDIAGATE_SECRET, or they cannot read each other's sealed values.
 */
export function loadSecrets(options: { secret: string | undefined; home: string }): Secrets {
  let master: Buffer;
  let source: Secrets['source'];
  if (options.secret !== undefined) {
    if (options.secret.length < minimumLength) {
      throw new SecretError(`MEDIAGATE_SECRET: must be at least ${minimumLength} characters (e.g. \`openssl rand -base64 32\`)`);
    }
    master = Buffer.from(options.secret, 'utf8');
    source = 'MEDIAGATE_SECRET';
  } else {
    master = readOrCreateSecretFile(options.home);
    source = 'file';
  }
  const keys = new Map<string, Buffer>();
  const key = (use: 'seal' | 'sign', purpose: SecretPurpose): Buffer => {
    const name = `mediagate ${use} ${purpose}`;
    let derived = keys.get(name);
    if (derived === undefined) {
      derived = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), name, 32));
      keys.set(name, derived);
    }
    return derived;
  };
  const sign = (purpose: SecretPurpose, data: string): string =>
    createHmac('sha256', key('sign', purpose)).update(data).digest('base64url');
  return {
    source,
    seal(purpose, plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key('seal', purpose), iv);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `v1.${iv.toString('base64url')}.${body.toString('base64url')}`;
    },
    open(purpose, sealed) {
      const [version, ivText, bodyText] = sealed.split('.');
      if (version !== 'v1' || ivText === undefined || bodyText === undefined) throw new SecretError('not a sealed value');
      const iv = Buffer.from(ivText, 'base64url');
      const body = Buffer.from(bodyText, 'base64url');
      if (iv.length !== 12 || body.length < 16) throw new SecretError('not a sealed value');
      const decipher = createDecipheriv('aes-256-gcm', key('seal', purpose), iv);
      decipher.setAuthTag(body.subarray(body.length - 16));
      try {
        return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString('utf8');
      } catch {
        throw new SecretError(
          `cannot decrypt a ${purpose.replace(/s$/, '')}: it was sealed under another master secret (MEDIAGATE_SECRET must be the same for every process) or altered`,
        );
      }
    },
    sign,
    verify(purpose, data, signature) {
      const expected = Buffer.from(sign(purpose, data), 'utf8');
      const given = Buffer.from(signature, 'utf8');
      return expected.length === given.length && timingSafeEqual(expected, given);
    },
  };
}
