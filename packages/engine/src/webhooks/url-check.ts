// The check a webhook URL gets when a tenant or a job names it: what the URL guard can tell from
// the URL alone (scheme, user:password@, metadata host names, literal private or loopback
// addresses, `localhost` names). Names are resolved at delivery, where the guard checks again.
import { InputError } from '@mediagate/core';
import { asInputError, checkUrl, isGuardError, type Resolver } from '@mediagate/providers';

/** Thrown by the resolver below for names DNS would have to answer: left to delivery time. */
class LeftToDelivery extends Error {}

function isLocalhostName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

// RFC 6761: localhost names are loopback whatever a resolver says; other names wait for delivery.
const urlOnly: Resolver = async (host) => {
  if (isLocalhostName(host)) return ['127.0.0.1', '::1'];
  throw new LeftToDelivery();
};

/**
 * Throws a 400 InputError naming `field` (code url_not_allowed) when the URL is plainly one the
 * guard refuses; `allow` is MEDIAGATE_FETCH_ALLOW, so a receiver on a listed host passes.
 */
export async function checkWebhookUrl(url: string, allow: readonly string[], field: string): Promise<void> {
  try {
    await checkUrl(url, { allow, resolve: urlOnly });
  } catch (error) {
    if (error instanceof LeftToDelivery) return;
    if (isGuardError(error)) throw asInputError(field)(error);
    if (error instanceof InputError) throw error;
    throw new InputError(`${field}: ${error instanceof Error ? error.message : String(error)}`, { field, code: 'url_not_allowed' });
  }
}
