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
