import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import type { RedisTopology } from '../../src/store/redis/topology.js';
import { freePort, keysAt } from './redis-server.js';

/** A Redis Cluster or a Sentinel setup of real redis-server processes on loopback ports, torn down by close(). */
export interface TestTopology {
  topology: RedisTopology;
  /** A node a plain client can read through: the cluster's first seed, or the master the sentinels started with. */
  seed: string;
  /** A key prefix no other test uses. */
  prefix(): string;
  /** Runs a command on the server at this port. */
  command(port: number, args: string[]): Promise<unknown>;
  /** Every key of this prefix, on whichever node holds it, with its TTL in seconds (-1: none). */
  keys(prefix: string): Promise<Array<{ key: string; ttl: number }>>;
  /** Kills every server of the setup (a whole-store outage); restart() starts them again and waits until they serve. */
  stop(): Promise<void>;
  restart(): Promise<void>;
  /** SIGSTOP and SIGCONT to every server: a stall. */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` answers true, or throws naming `what` after `ms`. */
export async function until(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting until ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

function requireRedis(): void {
  // Never a silent skip: without redis-server (and redis-cli for the cluster) these tests fail here.
  for (const binary of ['redis-server', 'redis-cli']) {
    if (spawnSync(binary, ['--version']).error) throw new Error(`${binary} is not installed: apt-get install redis-server`);
  }
}

/** The processes of one setup: started in a temporary folder, killed and removed at close. */
class Processes {
  readonly #children = new Map<number, ChildProcess>();
  readonly #args = new Map<number, string[]>();
  constructor(readonly dir: string) {}

  start(port: number, args: string[]): void {
    const child = spawn('redis-server', args, { stdio: 'ignore', cwd: this.dir });
    child.on('error', () => {});
    this.#children.set(port, child);
    this.#args.set(port, args);
  }

  signal(signal: NodeJS.Signals): void {
    for (const child of this.#children.values()) child.kill(signal);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#children.values()].map((child) => this.#kill(child)));
  }

  restart(): void {
    for (const [port, args] of this.#args) this.start(port, args);
  }

  async #kill(child: ChildProcess): Promise<void> {
    child.kill('SIGCONT');
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async command(port: number, args: string[]): Promise<unknown> {
    const client = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false, connectTimeout: 1000 } });
    client.on('error', () => {});
    await client.connect();
    try {
      return await client.sendCommand(args);
    } finally {
      await client.close();
    }
  }

  async close(): Promise<void> {
    await this.stop();
    if (process.env.KEEP_TOPOLOGY_DIR) return;
    await rm(this.dir, { recursive: true, force: true });
  }
}

async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** The keys of a prefix on each of these servers (the masters: a replica holds copies). */
async function keysOn(ports: number[], prefix: string): Promise<Array<{ key: string; ttl: number }>> {
  return (await Promise.all(ports.map((port) => keysAt(`redis://127.0.0.1:${port}`, prefix)))).flat();
}

const uniquePrefix = () => `test-${randomBytes(6).toString('hex')}:`;

/** A Redis Cluster as the cluster test drives it: its ports, and the operations a failover or a resharding needs. */
export interface TestCluster extends TestTopology {
  ports: number[];
  /** The port of the master that serves a key's slot. */
  masterOf(key: string): Promise<number>;
  /** CLUSTER FAILOVER on the replica of the master that serves `key`; resolves once the replica is master. */
  failover(key: string): Promise<{ from: number; to: number }>;
  /** Moves the slot of `key` to another master, key by key (MIGRATE), as redis-cli --cluster reshard does. */
  migrateSlot(key: string): Promise<{ from: number; to: number }>;
}

interface ClusterNode {
  id: string;
  port: number;
  master: boolean;
  masterId: string;
  slots: string[];
}

function parseNodes(text: string): ClusterNode[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id = '', address = '', flags = '', masterId = '', , , , , ...slots] = line.split(' ');
      return { id, port: Number(address.split(':')[1]!.split('@')[0]), master: flags.includes('master'), masterId, slots };
    });
}

/**
 * Starts 3 masters and 3 replicas (`redis-server --cluster-enabled yes`, then `redis-cli --cluster create`), and
 * waits until every node sees every slot served and every replica attached.
 */
export async function startRedisCluster(): Promise<TestCluster> {
  requireRedis();
  const processes = new Processes(await mkdtemp(join(tmpdir(), 'tokensmith-cluster-')));
  const ports = await freePorts(6);
  for (const port of ports) {
    processes.start(port, [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      `nodes-${port}.conf`,
      '--cluster-node-timeout',
      '2000',
      '--logfile',
      `redis-${port}.log`,
      '--save',
      '',
      '--appendonly',
      'no',
      // A replica syncs at once, not after Redis's default 5 s wait for more replicas to share one transfer.
      '--repl-diskless-sync-delay',
      '0',
    ]);
  }
  const command = (port: number, args: string[]) => processes.command(port, args);
  const inSync = async (port: number) => String(await command(port, ['INFO', 'replication'])).includes('master_link_status:up');
  try {
    for (const port of ports) await until(`node ${port} answers`, async () => (await command(port, ['PING'])) === 'PONG', 10_000);
    const create = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '1', '--cluster-yes'], {
      encoding: 'utf8',
    });
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    const nodes = async (port: number) => parseNodes(String(await command(port, ['CLUSTER', 'NODES'])));
    const serving = () =>
      until('every node sees the cluster ok, with 3 masters and 3 replicas', async () => {
        for (const port of ports) {
          if (!String(await command(port, ['CLUSTER', 'INFO'])).includes('cluster_state:ok')) return false;
          const seen = await nodes(port);
          if (seen.filter((node) => node.master && node.slots.length > 0).length !== 3 || seen.filter((node) => !node.master).length !== 3) return false;
        }
        // A manual failover to a replica that has not finished its first sync would have nothing to take over.
        for (const replica of (await nodes(ports[0]!)).filter((node) => !node.master)) if (!(await inSync(replica.port))) return false;
        return true;
      });
    await serving();
    const masterOf = async (key: string) => {
      const slot = Number(await command(ports[0]!, ['CLUSTER', 'KEYSLOT', key]));
      const owner = (await nodes(ports[0]!)).find((node) => node.master && node.slots.some((range) => covers(range, slot)));
      if (!owner) throw new Error(`no master serves slot ${slot}`);
      return owner.port;
    };
    return {
      topology: { kind: 'cluster', nodes: ports.map((port) => `redis://127.0.0.1:${port}`) },
      seed: `redis://127.0.0.1:${ports[0]}`,
      ports,
      prefix: uniquePrefix,
      command,
      keys: async (prefix) =>
        keysOn(
          (await nodes(ports[0]!)).filter((node) => node.master).map((node) => node.port),
          prefix,
        ),
      stop: () => processes.stop(),
      async restart() {
        processes.restart();
        await serving();
      },
      pause: () => processes.signal('SIGSTOP'),
      resume: () => processes.signal('SIGCONT'),
      masterOf,
      async failover(key) {
        const from = await masterOf(key);
        const id = (await nodes(from)).find((node) => node.port === from)!.id;
        const replica = (await nodes(from)).find((node) => !node.master && node.masterId === id);
        if (!replica) throw new Error(`master ${from} has no replica`);
        await command(replica.port, ['CLUSTER', 'FAILOVER']);
        await until(`replica ${replica.port} is master and ${from} its replica in sync`, async () => {
          const role = (await command(replica.port, ['ROLE'])) as unknown[];
          return role[0] === 'master' && (await masterOf(key)) === replica.port && (await inSync(from));
        });
        return { from, to: replica.port };
      },
      async migrateSlot(key) {
        const slot = Number(await command(ports[0]!, ['CLUSTER', 'KEYSLOT', key]));
        const from = await masterOf(key);
        const all = await nodes(from);
        const source = all.find((node) => node.port === from)!;
        const target = all.find((node) => node.master && node.slots.length > 0 && node.port !== from)!;
        await command(target.port, ['CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', source.id]);
        await command(from, ['CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', target.id]);
        for (;;) {
          const keys = (await command(from, ['CLUSTER', 'GETKEYSINSLOT', String(slot), '100'])) as string[];
          if (keys.length === 0) break;
          // REPLACE as redis-cli --cluster reshard --cluster-replace: a MIGRATE whose reply timed out under load
          // leaves the key on both sides, and the source's copy is the one still served.
          await command(from, ['MIGRATE', '127.0.0.1', String(target.port), '', '0', '5000', 'REPLACE', 'KEYS', ...keys]);
        }
        for (const node of all.filter((candidate) => candidate.master && candidate.slots.length > 0)) {
          await command(node.port, ['CLUSTER', 'SETSLOT', String(slot), 'NODE', target.id]);
        }
        await until(`slot ${slot} is served by ${target.port} everywhere`, async () => {
          for (const port of ports) if ((await masterOfAt(port, slot)) !== target.port) return false;
          return true;
        });
        return { from, to: target.port };
      },
      close: () => processes.close(),
    };

    async function masterOfAt(port: number, slot: number): Promise<number | undefined> {
      return (await nodes(port)).find((node) => node.master && node.slots.some((range) => covers(range, slot)))?.port;
    }
  } catch (error) {
    await processes.close();
    throw error;
  }
}

/** Whether a CLUSTER NODES slot entry (`5`, `0-5460`, or an import/migration marker in brackets) covers a slot. */
function covers(range: string, slot: number): boolean {
  if (range.startsWith('[')) return false;
  const [low, high = low] = range.split('-').map(Number);
  return slot >= low! && slot <= high!;
}

/** A master, its replicas and three sentinels, as the sentinel tests drive them. */
export interface TestSentinel extends TestTopology {
  /** The port of the current master, as the sentinels name it. */
  master(): Promise<number>;
  /**
   * SENTINEL FAILOVER; resolves once the sentinels name a former replica master, it is one, and every other server
   * (the former master among them) replicates it in sync. `switchedAt` is when the sentinels first named it (epoch ms).
   */
  failover(): Promise<{ from: number; to: number; switchedAt: number }>;
}

const MASTER_NAME = 'tokensmith';

/**
 * Starts a master, `replicas` replicas of it (1 by default; docs/operations/scaling.md recommends 2) and three sentinels that monitor
 * it (quorum 2, down after 1 s), and waits until every sentinel knows every replica and the other two sentinels.
 */
export async function startRedisSentinel(replicas = 1): Promise<TestSentinel> {
  requireRedis();
  const processes = new Processes(await mkdtemp(join(tmpdir(), 'tokensmith-sentinel-')));
  const ports = await freePorts(1 + replicas + 3);
  const [masterPort, servers, sentinelPorts] = [ports[0]!, ports.slice(0, 1 + replicas), ports.slice(1 + replicas)];
  const server = (port: number) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--repl-diskless-sync-delay', '0'];
  processes.start(masterPort, server(masterPort));
  for (const port of servers.slice(1)) processes.start(port, [...server(port), '--replicaof', '127.0.0.1', String(masterPort)]);
  const command = (port: number, args: string[]) => processes.command(port, args);
  const linkUp = async (port: number) => String(await command(port, ['INFO', 'replication'])).includes('master_link_status:up');
  try {
    const master = async () => Number(((await command(sentinelPorts[0]!, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME])) as string[])[1]);
    /** Every server but the master the sentinels name replicates it, in sync. */
    const inSync = async () => {
      const current = await master();
      for (const port of servers) if (port !== current && !(await linkUp(port))) return false;
      return true;
    };
    await until('the replicas are in sync', async () => (await Promise.all(servers.slice(1).map(linkUp))).every(Boolean));
    for (const port of sentinelPorts) {
      const file = join(processes.dir, `sentinel-${port}.conf`);
      await writeFile(
        file,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${processes.dir}`,
          `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${masterPort} 2`,
          `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
          `sentinel failover-timeout ${MASTER_NAME} 10000`,
          `sentinel parallel-syncs ${MASTER_NAME} 1`,
          '',
        ].join('\n'),
      );
      processes.start(port, [file, '--sentinel']);
    }
    await until('every sentinel knows the replica and the other sentinels', async () => {
      for (const port of sentinelPorts) {
        const known = (await command(port, ['SENTINEL', 'REPLICAS', MASTER_NAME])) as unknown[];
        const sentinels = (await command(port, ['SENTINEL', 'SENTINELS', MASTER_NAME])) as unknown[];
        if (known.length !== replicas || sentinels.length !== 2) return false;
      }
      return true;
    });
    return {
      topology: { kind: 'sentinel', sentinels: sentinelPorts.map((port) => ({ host: '127.0.0.1', port })), name: MASTER_NAME },
      seed: `redis://127.0.0.1:${masterPort}`,
      prefix: uniquePrefix,
      command,
      keys: async (prefix) => keysOn([await master()], prefix),
      stop: () => processes.stop(),
      async restart() {
        processes.restart();
        await until('the master serves and its replica is in sync again', inSync);
      },
      pause: () => processes.signal('SIGSTOP'),
      resume: () => processes.signal('SIGCONT'),
      master,
      async failover() {
        const from = await master();
        await command(sentinelPorts[0]!, ['SENTINEL', 'FAILOVER', MASTER_NAME]);
        // Asked every 20 ms (until() asks every 100): the moment of the switch is what 503s are measured from.
        let to = from;
        const deadline = Date.now() + 30_000;
        while ((to = await master()) === from) {
          if (Date.now() > deadline) throw new Error(`the sentinels still name ${from} master 30 s after SENTINEL FAILOVER`);
          await sleep(20);
        }
        const switchedAt = Date.now();
        await until(`${to} is master, and every other server (${from} among them) its replica in sync`, async () => {
          const role = (await command(to, ['ROLE'])) as unknown[];
          return role[0] === 'master' && (await inSync());
        });
        return { from, to, switchedAt };
      },
      close: () => processes.close(),
    };
  } catch (error) {
    await processes.close();
    throw error;
  }
}

/** A server and one sentinel of its own that monitors it under the name the sentinel tests use, for a sentinel that names another master. */
export interface LoneSentinel {
  sentinel: { host: string; port: number };
  /** The port of the server it names master. */
  masterPort: number;
  command(port: number, args: string[]): Promise<unknown>;
  close(): Promise<void>;
}

/** Starts a lone master and one sentinel that names it master under MASTER_NAME (quorum 1), as a decoy. */
export async function startLoneSentinel(): Promise<LoneSentinel> {
  requireRedis();
  const processes = new Processes(await mkdtemp(join(tmpdir(), 'tokensmith-lone-sentinel-')));
  const [masterPort, sentinelPort] = (await freePorts(2)) as [number, number];
  processes.start(masterPort, ['--port', String(masterPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  const file = join(processes.dir, 'sentinel.conf');
  await writeFile(
    file,
    [`port ${sentinelPort}`, 'bind 127.0.0.1', `dir ${processes.dir}`, `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${masterPort} 1`, ''].join('\n'),
  );
  processes.start(sentinelPort, [file, '--sentinel']);
  const command = (port: number, args: string[]) => processes.command(port, args);
  try {
    await until('the lone sentinel names its master', async () => {
      const named = (await command(sentinelPort, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME])) as string[] | null;
      return Number(named?.[1]) === masterPort;
    });
  } catch (error) {
    await processes.close();
    throw error;
  }
  return { sentinel: { host: '127.0.0.1', port: sentinelPort }, masterPort, command, close: () => processes.close() };
}
