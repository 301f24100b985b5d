/**
 * Which addresses the service may connect to when a client names a URL (a client ID metadata document, later a
 * jwks_uri): never one inside the deployment (loopback, private, link-local, unique-local, carrier-grade NAT) nor one
 * that is no host at all (unspecified, multicast, broadcast, documentation, reserved) — the server-side request
 * forgery guard (RFC 9700 §4.11 warns of it for any URL a client supplies). IPv6 forms that carry an IPv4 address
 * (mapped, compatible, NAT64, 6to4) are judged by that IPv4 address.
 */
import { isIP } from 'node:net';

/** What an address is, when it is not an ordinary public one. */
export type AddressClass =
  'unspecified' | 'loopback' | 'private' | 'shared' | 'link-local' | 'unique-local' | 'multicast' | 'broadcast' | 'documentation' | 'reserved' | 'public';

type Range = readonly [prefix: readonly number[], bits: number, kind: AddressClass];

// RFC 6890 special-purpose registries (IPv4), with the classes a request must never reach.
const IPV4_RANGES: readonly Range[] = [
  [[0], 8, 'unspecified'],
  [[10], 8, 'private'],
  [[100, 64], 10, 'shared'],
  [[127], 8, 'loopback'],
  [[169, 254], 16, 'link-local'],
  [[172, 16], 12, 'private'],
  [[192, 0, 0], 24, 'reserved'],
  [[192, 0, 2], 24, 'documentation'],
  [[192, 88, 99], 24, 'reserved'],
  [[192, 168], 16, 'private'],
  [[198, 18], 15, 'reserved'],
  [[198, 51, 100], 24, 'documentation'],
  [[203, 0, 113], 24, 'documentation'],
  [[224], 4, 'multicast'],
  [[255, 255, 255, 255], 32, 'broadcast'],
  [[240], 4, 'reserved'],
];

// IPv6 (RFC 6890, RFC 4291, RFC 4193, RFC 3849); the forms that embed IPv4 are handled before these.
const IPV6_RANGES: readonly Range[] = [
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 128, 'unspecified'],
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 128, 'loopback'],
  [[0x01, 0x00, 0, 0, 0, 0, 0, 0], 64, 'reserved'],
  [[0x20, 0x01, 0x00, 0x00], 32, 'reserved'],
  [[0x20, 0x01, 0x0d, 0xb8], 32, 'documentation'],
  [[0xfc], 7, 'unique-local'],
  [[0xfe, 0x80], 10, 'link-local'],
  [[0xfe, 0xc0], 10, 'reserved'],
  [[0xff], 8, 'multicast'],
];

function inRange(bytes: readonly number[], [prefix, bits]: Range): boolean {
  for (let bit = 0; bit < bits; bit += 8) {
    const mask = bits - bit >= 8 ? 0xff : (0xff << (8 - (bits - bit))) & 0xff;
    if (((bytes[bit / 8] ?? 0) & mask) !== ((prefix[bit / 8] ?? 0) & mask)) return false;
  }
  return true;
}

function classOf(bytes: readonly number[], ranges: readonly Range[]): AddressClass {
  return ranges.find((range) => inRange(bytes, range))?.[2] ?? 'public';
}

/** The 16 bytes of an IPv6 address in any textual form (RFC 4291 §2.2), or undefined. */
function ipv6Bytes(address: string): number[] | undefined {
  const zoneless = address.split('%')[0]!;
  let text = zoneless;
  let tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    tail = dotted[1]!.split('.').map(Number);
    text = `${text.slice(0, -dotted[1]!.length)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (half: string) => (half === '' ? [] : half.split(':'));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return undefined;
  const words = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest].map((group) => Number.parseInt(group, 16));
  if (words.length !== 8 || words.some((word) => !Number.isInteger(word) || word < 0 || word > 0xffff)) return undefined;
  const bytes = words.flatMap((word) => [word >> 8, word & 0xff]);
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

/** The IPv4 address an IPv6 address carries (mapped, compatible, NAT64 64:ff9b::/96, 6to4 2002::/16), if any. */
function embeddedIpv4(bytes: readonly number[]): number[] | undefined {
  const zeros = (from: number, to: number) => bytes.slice(from, to).every((byte) => byte === 0);
  if (zeros(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12, 16);
  if (zeros(0, 12) && !zeros(12, 16) && !(zeros(12, 15) && bytes[15] === 1)) return bytes.slice(12, 16);
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && zeros(4, 12)) return bytes.slice(12, 16);
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return bytes.slice(2, 6);
  return undefined;
}

/** The class of an IP address (IPv4 dotted quad or IPv6 text, brackets allowed); `reserved` for anything else. */
export function classifyAddress(address: string): AddressClass {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const family = isIP(bare.split('%')[0]!);
  if (family === 4) return classOf(bare.split('.').map(Number), IPV4_RANGES);
  if (family !== 6) return 'reserved';
  const bytes = ipv6Bytes(bare);
  if (bytes === undefined) return 'reserved';
  const ipv4 = embeddedIpv4(bytes);
  return ipv4 === undefined ? classOf(bytes, IPV6_RANGES) : classOf(ipv4, IPV4_RANGES);
}

/** Whether the service may connect to an address: a public one, or a loopback one where development allows it. */
export function mayConnect(address: string, allowLoopback: boolean): boolean {
  const kind = classifyAddress(address);
  return kind === 'public' || (allowLoopback && kind === 'loopback');
}
