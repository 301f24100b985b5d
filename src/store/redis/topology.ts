/** A sentinel's address (REDIS_SENTINELS). */
export interface SentinelAddress {
  host: string;
  port: number;
}

/**
 * Which Redis the store uses, from exactly one of REDIS_URL, REDIS_CLUSTER_NODES and REDIS_SENTINELS (config.ts
 * refuses more than one): one server, a Redis Cluster found through seed nodes, or the master a set of sentinels
 * names. URLs may carry passwords; nothing here is ever logged or put in an error message.
 */
export type RedisTopology =
  | { kind: 'single'; url: string }
  | { kind: 'cluster'; nodes: string[] }
  | { kind: 'sentinel'; sentinels: SentinelAddress[]; name: string; sentinelPassword?: string; password?: string };

/** Whether keys need hash tags: only a cluster splits the key space into slots. */
export function isClustered(topology: RedisTopology): boolean {
  return topology.kind === 'cluster';
}

/**
 * Where the store's Redis is, for a log line or an error message: hosts and ports only, never a URL (its user and
 * password stay out). `127.0.0.1:6379`; a cluster's seed nodes; the sentinels and the name they monitor the master by.
 */
export function redisAddress(topology: RedisTopology): string {
  const hostOf = (url: string) => {
    try {
      return new URL(url).host;
    } catch {
      return 'an unreadable URL';
    }
  };
  if (topology.kind === 'single') return hostOf(topology.url);
  if (topology.kind === 'cluster') return topology.nodes.map(hostOf).join(',');
  return `${topology.sentinels.map(({ host, port }) => `${host.includes(':') ? `[${host}]` : host}:${port}`).join(',')} (master ${topology.name})`;
}
