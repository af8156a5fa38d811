// IP address parsing and the ranges a fetch must never reach: loopback, private, link-local,
// CGNAT, multicast, reserved and cloud-metadata addresses, IPv4 hidden inside IPv6 included.
import { isIPv4, isIPv6 } from 'node:net';

/** An address or network as raw bytes (4 for IPv4, 16 for IPv6) and a prefix length in bits. */
export interface IpRange {
  bytes: Uint8Array;
  prefix: number;
}

/** Drops URL brackets and an IPv6 zone id ("fe80::1%eth0"), which says nothing about the range. */
function bare(text: string): string {
  const unbracketed = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  return unbracketed.split('%')[0] ?? '';
}

function parseIPv6(text: string): Uint8Array {
  let body = text;
  const lastColon = body.lastIndexOf(':');
  const tail = body.slice(lastColon + 1);
  if (tail.includes('.')) {
    const [a = 0, b = 0, c = 0, d = 0] = tail.split('.').map(Number);
    body = `${body.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [headText = '', restText] = body.split('::');
  const head = headText ? headText.split(':') : [];
  const rest = restText ? restText.split(':') : [];
  const zeros = restText === undefined ? 0 : 8 - head.length - rest.length;
  const groups = [...head, ...Array<string>(zeros).fill('0'), ...rest];
  const bytes = new Uint8Array(16);
  groups.forEach((group, index) => {
    const value = Number.parseInt(group, 16);
    bytes[index * 2] = value >> 8;
    bytes[index * 2 + 1] = value & 0xff;
  });
  return bytes;
}

/** The bytes of an IP literal (brackets and zone allowed), or undefined for anything else. */
export function parseIp(text: string): Uint8Array | undefined {
  const address = bare(text);
  if (isIPv4(address)) return Uint8Array.from(address.split('.').map(Number));
  if (isIPv6(address)) return parseIPv6(address);
  return undefined;
}

/** "10.0.0.0/8", "fc00::/7"; a bare address is a single-address range. */
export function parseCidr(text: string): IpRange | undefined {
  const [addressText = '', prefixText, extra] = text.split('/');
  const bytes = parseIp(addressText);
  if (!bytes || extra !== undefined) return undefined;
  const bits = bytes.length * 8;
  if (prefixText === undefined) return { bytes, prefix: bits };
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  return prefix <= bits ? { bytes, prefix } : undefined;
}

export function inRange(address: Uint8Array, range: IpRange): boolean {
  if (address.length !== range.bytes.length) return false;
  const whole = range.prefix >> 3;
  for (let index = 0; index < whole; index++) if (address[index] !== range.bytes[index]) return false;
  const rest = range.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((address[whole] ?? 0) & mask) === ((range.bytes[whole] ?? 0) & mask);
}

function table(entries: [string, string][]): { range: IpRange; label: string }[] {
  return entries.map(([cidr, label]) => {
    const range = parseCidr(cidr);
    if (!range) throw new Error(`bad built-in range ${cidr}`);
    return { range, label };
  });
}

// First match names the range, so the specific metadata addresses come before their blocks.
const forbiddenV4 = table([
  ['169.254.169.254/32', 'cloud metadata'], // AWS, GCP, Azure, OCI, DigitalOcean…
  ['169.254.170.2/32', 'cloud metadata'], // AWS ECS task credentials
  ['100.100.100.200/32', 'cloud metadata'], // Alibaba Cloud
  ['168.63.129.16/32', 'cloud metadata'], // Azure WireServer: a public address only VMs reach
  ['0.0.0.0/8', 'this network'], // Linux connects 0.0.0.0 to the local host
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'carrier-grade NAT'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'IETF protocol assignments'],
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', 'reserved (6to4 relay)'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'], // broadcast included
]);

const forbiddenV6 = table([
  ['fd00:ec2::254/128', 'cloud metadata'], // AWS IMDS over IPv6
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['64:ff9b:1::/48', 'local-use NAT64'],
  ['100::/64', 'discard-only'],
  ['2001::/32', 'Teredo'],
  ['2001::/23', 'IETF protocol assignments'],
  ['2001:db8::/32', 'documentation'],
  ['3fff::/20', 'documentation'],
  ['5f00::/16', 'SRv6 segment identifiers'],
  ['fc00::/7', 'unique-local'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local'],
  ['ff00::/8', 'multicast'],
]);

/** IPv6 forms that carry an IPv4 address, which is where the packets really go. */
const embeddings: { range: IpRange; offset: number; form: string }[] = [
  { range: parseCidr('::ffff:0:0/96') as IpRange, offset: 12, form: 'IPv4-mapped' },
  { range: parseCidr('::/96') as IpRange, offset: 12, form: 'IPv4-compatible' },
  { range: parseCidr('64:ff9b::/96') as IpRange, offset: 12, form: 'NAT64' },
  { range: parseCidr('2002::/16') as IpRange, offset: 2, form: '6to4' },
];
const globalUnicastV6 = parseCidr('2000::/3') as IpRange;

/** The IPv4 address inside a mapped, compatible, NAT64 or 6to4 IPv6 address, if it is one. */
export function embeddedIPv4(bytes: Uint8Array): { bytes: Uint8Array; form: string } | undefined {
  if (bytes.length !== 16) return undefined;
  const embedding = embeddings.find((candidate) => inRange(bytes, candidate.range));
  return embedding && { bytes: bytes.slice(embedding.offset, embedding.offset + 4), form: embedding.form };
}

/**
 * Why an address must not be fetched ("loopback", "cloud metadata", …), or undefined when it
 * is an ordinary public unicast address.
 */
export function forbiddenRange(bytes: Uint8Array): string | undefined {
  if (bytes.length === 4) return forbiddenV4.find((entry) => inRange(bytes, entry.range))?.label;
  const listed = forbiddenV6.find((entry) => inRange(bytes, entry.range));
  if (listed) return listed.label;
  const embedded = embeddedIPv4(bytes);
  if (embedded) {
    const label = forbiddenRange(embedded.bytes);
    return label && `${label} (${embedded.form} ${embedded.bytes.join('.')})`;
  }
  // Everything routable on the IPv6 internet sits in 2000::/3; the rest is reserved or local.
  return inRange(bytes, globalUnicastV6) ? undefined : 'reserved';
}
