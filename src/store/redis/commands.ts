import type { RedisClientType, RedisDefaultModules, RedisScripts } from 'redis';

/** The plain commands the store sends, which a single client, a cluster client and a sentinel's master all have. */
type PlainCommand = 'get' | 'set' | 'del' | 'exists' | 'hGet' | 'hGetAll' | 'hSet' | 'hDel' | 'pExpire' | 'zAdd' | 'zRem' | 'zRange';

/**
 * What a module of the store sends commands through: the plain commands and its own scripts `S` (each a command
 * under its name). Every command routes by its first key, every script by KEYS. Each module names only the scripts it
 * runs, so none depends on the registry of them all (scripts.ts), which depends on every module.
 */
export type ScriptClient<S extends RedisScripts> = Pick<RedisClientType<RedisDefaultModules, Record<never, never>, S>, PlainCommand | keyof S>;

/** Makes a write to these keys and answers it once the configured number of replicas have it, or fails (makeDurable). */
export type Durable = <T>(keys: string[], write: () => Promise<T>) => Promise<T>;

/** Runs a store operation against Redis with the failure rules of makeGuard. */
export type Guard = <T>(operation: () => Promise<T>) => Promise<T>;
