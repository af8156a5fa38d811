// checkUrl without any network: every forbidden IPv4 and IPv6 range, the numeric spellings URL
// parsing normalizes, metadata names, multi-record answers, schemes and the allowlist forms.
import { InputError, ProviderError } from '@mediagate/core';
import { describe, expect, it } from 'vitest';
import { asInputError, asProviderError, BlockedUrlError, checkUrl, FetchLimitError, type GuardPolicyOptions } from './guard.ts';
import { tableResolver } from './test-server.ts';

/** Fails the test if anything is resolved: literal addresses and refused names never need DNS. */
const noDns = async (hostname: string): Promise<string[]> => {
  throw new Error(`unexpected DNS lookup of ${hostname}`);
};

async function refusal(url: string, options: GuardPolicyOptions = { resolve: noDns }): Promise<BlockedUrlError> {
  const error = await checkUrl(url, options).then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error, url).toBeInstanceOf(BlockedUrlError);
  return error as BlockedUrlError;
}

describe('forbidden addresses', () => {
  const ipv4: [string, string][] = [
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['0.0.0.0', 'this network'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.1.1', 'link-local'],
    ['169.254.169.254', 'cloud metadata'],
    ['169.254.170.2', 'cloud metadata'],
    ['100.100.100.200', 'cloud metadata'],
    ['168.63.129.16', 'cloud metadata'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['192.0.0.8', 'IETF protocol assignments'],
    ['192.0.2.1', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
  ];
  const ipv6: [string, string][] = [
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['fd00:ec2::254', 'cloud metadata'],
    ['ff02::1', 'multicast'],
    ['fec0::1', 'site-local'],
    ['2001:db8::1', 'documentation'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo'],
    ['100::1', 'discard-only'],
    ['::ffff:127.0.0.1', 'loopback (IPv4-mapped 127.0.0.1)'],
    ['::ffff:7f00:1', 'loopback (IPv4-mapped 127.0.0.1)'],
    ['::ffff:169.254.169.254', 'cloud metadata (IPv4-mapped 169.254.169.254)'],
    ['::ffff:a00:1', 'private (IPv4-mapped 10.0.0.1)'],
    ['::127.0.0.1', 'loopback (IPv4-compatible 127.0.0.1)'],
    ['64:ff9b::a00:1', 'private (NAT64 10.0.0.1)'],
    ['2002:a9fe:a9fe::1', 'cloud metadata (6to4 169.254.169.254)'],
    ['::ffff:0:7f00:1', 'reserved'],
    ['4000::1', 'reserved'],
  ];

  it.each(ipv4)('refuses %s (%s)', async (address, range) => {
    const error = await refusal(`http://${address}/x`);
    expect(error).toMatchObject({ reason: 'address', address });
    expect(error.message).toContain(`is ${range}`);
  });

  it.each(ipv6)('refuses [%s] (%s)', async (address, range) => {
    const error = await refusal(`http://[${address}]:8080/x`);
    expect(error.reason).toBe('address');
    expect(error.message).toContain(`is ${range}`);
  });

  const publicHosts = ['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '169.253.255.255', '11.0.0.1', '223.255.255.255'];
  const publicV6 = ['[2606:4700:4700::1111]', '[2a00:1450:4001::1]', '[::ffff:8.8.8.8]', '[64:ff9b::808:808]', '[2002:808:808::1]'];

  it.each([...publicHosts, ...publicV6])('lets public %s through', async (host) => {
    await expect(checkUrl(`https://${host}/image.png`, { resolve: noDns })).resolves.toBeUndefined();
  });
});

describe('numeric IPv4 spellings', () => {
  const spellings = ['http://2130706433/', 'http://0x7f000001/', 'http://0177.0.0.1/', 'http://127.1/', 'http://0x7f.1/', 'http://017700000001/'];

  it.each([...spellings, 'http://[::ffff:127.0.0.1]/'])('sees %s as the loopback address it is', async (url) => {
    expect(['127.0.0.1', '[::ffff:7f00:1]']).toContain(new URL(url).hostname);
    expect((await refusal(url)).message).toContain('loopback');
  });

  it('sees 0xa9.0xfe.0xa9.0xfe as the metadata address', async () => {
    expect(await refusal('http://0xa9.0xfe.0xa9.0xfe/latest/meta-data/')).toMatchObject({ address: '169.254.169.254' });
  });
});

describe('host names', () => {
  it.each(['metadata.google.internal', 'METADATA.GOOGLE.INTERNAL.', 'metadata.goog', 'instance-data'])('refuses %s without resolving it', async (host) => {
    expect((await refusal(`http://${host}/computeMetadata/v1/`)).reason).toBe('hostname');
  });

  it('refuses a name that resolves to loopback', async () => {
    expect((await refusal('http://localhost/', {})).message).toMatch(/localhost resolves to (127\.0\.0\.1|::1) is loopback/);
    const { resolve } = tableResolver({ 'evil.test': ['127.0.0.1'] });
    expect(await refusal('http://evil.test/', { resolve })).toMatchObject({ reason: 'address', address: '127.0.0.1' });
  });

  it('refuses a name when any one of its records is forbidden', async () => {
    const { resolve } = tableResolver({
      'mixed.test': ['93.184.216.34', '10.0.0.5'],
      'mixed6.test': ['2606:4700::1', 'fd00::1'],
      'fine.test': ['93.184.216.34', '2606:4700::1'],
    });
    expect(await refusal('http://mixed.test/', { resolve })).toMatchObject({ address: '10.0.0.5' });
    expect(await refusal('http://mixed6.test/', { resolve })).toMatchObject({ address: 'fd00::1' });
    await expect(checkUrl('http://fine.test/', { resolve })).resolves.toBeUndefined();
  });

  it('lets a name that does not resolve fail as DNS does', async () => {
    const { resolve } = tableResolver({});
    await expect(checkUrl('http://nowhere.test/', { resolve })).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });
});

describe('schemes and URL forms', () => {
  it.each(['file:///etc/passwd', 'ftp://example.com/a.png', 'data:text/plain,hi', 'javascript:alert(1)', 'gopher://127.0.0.1:6379/_INFO', 'ws://example.com/'])(
    'refuses %s',
    async (url) => {
      expect((await refusal(url)).reason).toBe('scheme');
    },
  );

  it('refuses credentials in the URL and things that are not URLs', async () => {
    expect((await refusal('http://user:secret@example.com/')).reason).toBe('credentials');
    expect((await refusal('not a url')).reason).toBe('invalid_url');
  });
});

describe('allowlist', () => {
  const allowed = (url: string, allow: string[]) => checkUrl(url, { allow, resolve: noDns });

  it('allows CIDR ranges, addresses and address:port pairs', async () => {
    await expect(allowed('http://10.1.2.3/', ['10.0.0.0/8'])).resolves.toBeUndefined();
    await expect(allowed('http://[fd00::5]/', ['fd00::/8'])).resolves.toBeUndefined();
    await expect(allowed('http://127.0.0.1:8080/', ['127.0.0.1'])).resolves.toBeUndefined();
    await expect(allowed('http://[::ffff:127.0.0.1]/', ['127.0.0.1'])).resolves.toBeUndefined();
    await expect(allowed('http://[::1]:8080/', ['::1'])).resolves.toBeUndefined();
    await expect(allowed('http://10.1.2.3:8080/', ['10.1.2.3:8080'])).resolves.toBeUndefined();
    await expect(allowed('http://[::1]:8080/', ['[::1]:8080'])).resolves.toBeUndefined();
    expect((await refusal('http://10.1.2.3:8081/', { allow: ['10.1.2.3:8080'], resolve: noDns })).reason).toBe('address');
    expect((await refusal('http://127.0.0.1/', { allow: ['10.0.0.0/8'], resolve: noDns })).reason).toBe('address');
  });

  it('allows host names and host:port pairs, whatever they resolve to', async () => {
    const { resolve } = tableResolver({ localhost: ['127.0.0.1'], 'models.lan': ['192.168.1.20'] });
    await expect(checkUrl('http://localhost/', { allow: ['localhost'], resolve })).resolves.toBeUndefined();
    await expect(checkUrl('http://localhost:8080/', { allow: ['localhost:8080'], resolve })).resolves.toBeUndefined();
    await expect(checkUrl('http://models.lan:11434/', { allow: ['Models.LAN'], resolve })).resolves.toBeUndefined();
    expect((await refusal('http://localhost:9090/', { allow: ['localhost:8080'], resolve })).reason).toBe('address');
    expect((await refusal('https://localhost/', { allow: ['localhost:80'], resolve })).reason).toBe('address');
  });

  it('rejects entries it cannot read instead of guessing', async () => {
    for (const entry of ['10.0.0.0/33', 'localhost:99999', 'exa mple', '', 'http://x', '[::1', '1.2.3.4/8/1']) {
      await expect(checkUrl('https://example.com/', { allow: [entry], resolve: noDns }), entry).rejects.toBeInstanceOf(TypeError);
    }
  });
});

describe('error mapping', () => {
  const blocked = new BlockedUrlError('address', 'refusing http://10.0.0.1/: 10.0.0.1 is private', 'http://10.0.0.1/', '10.0.0.1');
  const tooBig = new FetchLimitError('size', 'too big', 'http://x/');
  const slow = new FetchLimitError('time', 'too slow', 'http://x/');

  it('maps to ProviderError for provider URLs', () => {
    const toProvider = asProviderError('acme');
    expect(toProvider(blocked)).toMatchObject({ errorClass: 'malformed', message: expect.stringContaining('acme: refusing'), cause: blocked });
    expect(toProvider(blocked)).toBeInstanceOf(ProviderError);
    expect(toProvider(tooBig).errorClass).toBe('output_invalid');
    expect(toProvider(slow).errorClass).toBe('timeout');
  });

  it('maps to InputError naming the field for user URLs', () => {
    const toInput = asInputError('image');
    expect(toInput(blocked)).toBeInstanceOf(InputError);
    expect(toInput(blocked)).toMatchObject({ field: 'image', status: 400, code: 'url_not_allowed', cause: blocked });
    expect(toInput(tooBig)).toMatchObject({ field: 'image', status: 413 });
    expect(toInput(slow)).toMatchObject({ field: 'image', status: 400, code: 'url_timeout' });
  });
});
