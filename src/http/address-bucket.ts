import { isIPv4, isIPv6 } from 'node:net';

/** The IPv6 prefix length per-IP limits count under by default: the /64 every IPv6 client holds at least. */
export const DEFAULT_IPV6_PREFIX = 64;

/** The eight 16-bit groups of an IPv6 address (zone dropped, embedded IPv4 tail folded in), or undefined for anything else. */
function ipv6Groups(address: string): number[] | undefined {
  const bare = address.split('%')[0]!;
  if (!isIPv6(bare)) return undefined;
  const parse = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').flatMap((group) => {
          if (!group.includes('.')) return [parseInt(group, 16)];
          const [a, b, c, d] = group.split('.').map(Number) as [number, number, number, number];
          return [(a << 8) | b, (c << 8) | d];
        });
  const [head, tail] = bare.split('::') as [string, string | undefined];
  if (tail === undefined) return parse(head);
  const [left, right] = [parse(head), parse(tail)];
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** How many IPv6 addresses' buckets are remembered: every limited request asks, and parsing is the costly part. */
const MEMO_CAPACITY = 10_000;
const memo = new Map<string, string>();

/**
 * The bucket per-IP limits count a client address under. IPv4 counts per address; an IPv4-mapped IPv6
 * address (::ffff:a.b.c.d, as a dual-stack socket reports IPv4 peers) as that IPv4 address; any other IPv6
 * address by its /`prefixLength` network, since one client holds a whole /64 (often a /56 or /48) and
 * could otherwise take a fresh bucket for every request.
 */
export function addressBucket(address: string, prefixLength: number): string {
  if (!address.includes(':')) return address;
  const mapped = address.startsWith('::ffff:') ? address.slice(7) : undefined;
  if (mapped !== undefined && isIPv4(mapped)) return mapped;
  const key = `${prefixLength} ${address}`;
  let bucket = memo.get(key);
  if (bucket === undefined) {
    if (memo.size >= MEMO_CAPACITY) memo.clear();
    bucket = ipv6Bucket(address, prefixLength);
    memo.set(key, bucket);
  }
  return bucket;
}

function ipv6Bucket(address: string, prefixLength: number): string {
  const groups = ipv6Groups(address);
  if (!groups) return address;
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  }
  const masked = groups.map((group, index) => {
    const bits = Math.min(16, Math.max(0, prefixLength - index * 16));
    return group & (0xffff << (16 - bits)) & 0xffff;
  });
  return `${masked.map((group) => group.toString(16)).join(':')}/${prefixLength}`;
}
