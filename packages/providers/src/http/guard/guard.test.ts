// The guarded fetch against a real server on 127.0.0.1: every redirect hop re-checked, refusals
// that dial nothing, DNS answers used once for check and connect, numeric hosts, the allowlist.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BlockedUrlError, checkUrl, createGuardedFetch, type GuardedFetch, type GuardedFetchOptions } from './guard.ts';
import { recordConnections, startTestServer, tableResolver, type TestServer } from './test-server.ts';

let server: TestServer;
let connections: ReturnType<typeof recordConnections>;
const opened: GuardedFetch[] = [];

beforeAll(async () => {
  server = await startTestServer();
  connections = recordConnections();
});

afterAll(async () => {
  connections.stop();
  await server.close();
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((guarded) => guarded.close()));
});

function guarded(options: GuardedFetchOptions): GuardedFetch {
  const created = createGuardedFetch(options);
  opened.push(created);
  return created;
}

async function refused(promise: Promise<unknown>): Promise<BlockedUrlError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(BlockedUrlError);
  return error as BlockedUrlError;
}

/** Nothing but the loopback test server was ever dialled. */
function expectOnlyLoopbackDialled(): void {
  expect(connections.connected.every((address) => address === '127.0.0.1')).toBe(true);
}

describe('guarded fetch', () => {
  it('fetches from an allowed server and reports the final URL', async () => {
    const response = await guarded({ allow: ['127.0.0.1'] })(`${server.base}/ok`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('hello');
    expect(response.url).toBe(`${server.base}/ok`);
    expect(response.redirected).toBe(false);
    // The recorder works: this connection is in it.
    expect(connections.connected).toContain('127.0.0.1');
  });

  it('refuses the loopback server when nothing allows it, before dialling', async () => {
    const dialled = connections.attempted.length;
    const hits = server.hits.length;
    const error = await refused(guarded({})(`${server.base}/ok`));
    expect(error).toMatchObject({ reason: 'address', address: '127.0.0.1' });
    expect(connections.attempted.length).toBe(dialled);
    expect(server.hits.length).toBe(hits);
  });

  const forbiddenTargets = [
    'http://169.254.169.254/latest/meta-data/iam/',
    'http://10.0.0.1/admin',
    'http://[::ffff:169.254.169.254]/',
    'http://[fd00:ec2::254]/',
    'http://2852039166/', // 169.254.169.254 as one number
  ];

  it.each(forbiddenTargets)(
    'refuses a redirect to %s without sending anything there',
    async (target) => {
      const fetchGuarded = guarded({ allow: ['127.0.0.1'] });
      const error = await refused(fetchGuarded(`${server.base}/redirect?to=${encodeURIComponent(target)}`));
      expect(error.reason).toBe('address');
      expect(server.hits.at(-1)).toBe('/redirect');
      expect(connections.attempted.filter((host) => host !== '127.0.0.1')).toEqual([]);
      expectOnlyLoopbackDialled();
    },
  );

  it('refuses a redirect to a name that resolves to a private address, at connect time', async () => {
    const { resolve, calls } = tableResolver({ 'internal.test': ['10.0.0.7'] });
    const fetchGuarded = guarded({ allow: ['127.0.0.1'], resolve });
    const error = await refused(fetchGuarded(`${server.base}/redirect?to=${encodeURIComponent('http://internal.test/secrets')}`));
    expect(error).toMatchObject({ reason: 'address', address: '10.0.0.7' });
    expect(calls).toEqual(['internal.test']);
    expectOnlyLoopbackDialled();
  });

  it.each(['file:///etc/passwd', 'ftp://127.0.0.1/x', 'gopher://127.0.0.1:6379/_FLUSHALL'])('refuses a redirect to %s', async (target) => {
    const error = await refused(guarded({ allow: ['127.0.0.1'] })(`${server.base}/redirect?to=${encodeURIComponent(target)}`));
    expect(error.reason).toBe('scheme');
  });

  it('follows up to maxRedirects hops and refuses one more', async () => {
    const fetchGuarded = guarded({ allow: ['127.0.0.1'] });
    const five = await fetchGuarded(`${server.base}/chain?n=5`);
    expect(await five.text()).toBe('done');
    expect(five).toMatchObject({ redirected: true, url: `${server.base}/chain?n=0` });
    expect((await refused(fetchGuarded(`${server.base}/chain?n=6`))).reason).toBe('redirects');
    expect((await refused(guarded({ allow: ['127.0.0.1'], maxRedirects: 0 })(`${server.base}/chain?n=1`))).reason).toBe('redirects');
  });

  it("honours redirect: 'manual' and 'error'", async () => {
    const fetchGuarded = guarded({ allow: ['127.0.0.1'] });
    const manual = await fetchGuarded(`${server.base}/redirect?to=/ok`, { redirect: 'manual' });
    expect(manual.status).toBe(302);
    expect(manual.headers.get('location')).toBe('/ok');
    expect((await refused(fetchGuarded(`${server.base}/redirect?to=/ok`, { redirect: 'error' }))).reason).toBe('redirects');
  });

  it('drops credentials on a cross-origin redirect and keeps them on the same origin', async () => {
    const { resolve } = tableResolver({ 'media.test': ['127.0.0.1'] });
    const fetchGuarded = guarded({ allow: ['127.0.0.1'], resolve });
    const headers = { authorization: 'Bearer sk-secret', cookie: 'session=1', 'x-custom': 'kept' };
    const across = await fetchGuarded(`${server.base}/redirect?to=${encodeURIComponent(`http://media.test:${server.port}/echo`)}`, { headers });
    expect(await across.json()).toEqual({ method: 'GET', host: `media.test:${server.port}`, custom: 'kept', body: '' });
    const same = await fetchGuarded(`${server.base}/redirect?to=/echo`, { headers });
    expect(await same.json()).toMatchObject({ authorization: 'Bearer sk-secret', custom: 'kept' });
  });

  it('turns a POST into a GET without a body on 303, and replays it on 307', async () => {
    const fetchGuarded = guarded({ allow: ['127.0.0.1'] });
    const init = { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } };
    const seeOther = await fetchGuarded(`${server.base}/redirect?status=303&to=/echo`, init);
    expect(await seeOther.json()).toMatchObject({ method: 'GET', body: '' });
    const temporary = await fetchGuarded(`${server.base}/redirect?status=307&to=/echo`, init);
    expect(await temporary.json()).toMatchObject({ method: 'POST', body: '{"a":1}' });
  });
});

describe('DNS: one answer for the check and the connection', () => {
  it('connects to the address it checked, naming the host in the request', async () => {
    const { resolve, calls } = tableResolver({ 'media.test': [['127.0.0.1'], ['10.0.0.1']] });
    const response = await guarded({ allow: ['127.0.0.1'], resolve })(`http://media.test:${server.port}/echo`);
    expect(await response.json()).toMatchObject({ host: `media.test:${server.port}` });
    expect(calls).toEqual(['media.test']);
  });

  it('refuses at connect time a name that rebinds to a private address after a passing check', async () => {
    const { resolve } = tableResolver({ 'rebind.test': [['93.184.216.34'], ['127.0.0.1']] });
    await expect(checkUrl(`http://rebind.test:${server.port}/ok`, { resolve })).resolves.toBeUndefined();
    const hits = server.hits.length;
    const error = await refused(guarded({ resolve })(`http://rebind.test:${server.port}/ok`));
    expect(error).toMatchObject({ reason: 'address', address: '127.0.0.1' });
    expect(server.hits.length).toBe(hits);
  });

  it('refuses a name with one forbidden record even when another is allowed', async () => {
    const { resolve } = tableResolver({ 'mixed.test': ['127.0.0.1', '10.0.0.1'] });
    const error = await refused(guarded({ allow: ['127.0.0.1'], resolve })(`http://mixed.test:${server.port}/ok`));
    expect(error.address).toBe('10.0.0.1');
    expectOnlyLoopbackDialled();
  });

  it("tries the host's next checked address when one refuses the connection", async () => {
    const { resolve } = tableResolver({ 'two.test': ['127.0.0.2', '127.0.0.1'] });
    const response = await guarded({ allow: ['127.0.0.0/8'], resolve })(`http://two.test:${server.port}/ok`);
    expect(await response.text()).toBe('hello');
  });
});

describe('numeric hosts and the allowlist, end to end', () => {
  it.each(['2130706433', '0x7f000001', '0177.0.0.1', '127.1'])('reaches http://%s:port/ only through the 127.0.0.1 allow entry', async (host) => {
    const url = `http://${host}:${server.port}/ok`;
    expect(await (await guarded({ allow: ['127.0.0.1'] })(url)).text()).toBe('hello');
    expect(await refused(guarded({})(url))).toMatchObject({ address: '127.0.0.1' });
  });

  it('allows by host, host:port and CIDR, and nothing else', async () => {
    const { resolve } = tableResolver({ 'models.local': ['127.0.0.1'] });
    const url = `http://models.local:${server.port}/ok`;
    for (const allow of [['models.local'], [`models.local:${server.port}`], ['127.0.0.0/8'], [`127.0.0.1:${server.port}`]]) {
      expect(await (await guarded({ allow, resolve })(url)).text(), allow[0]).toBe('hello');
    }
    for (const allow of [['models.local:1'], ['10.0.0.0/8'], ['other.local'], ['127.0.0.1:1']]) {
      expect((await refused(guarded({ allow, resolve })(url))).reason, allow[0]).toBe('address');
    }
  });
});
