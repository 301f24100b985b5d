import { decodeJwt } from 'jose';
import type { FastifyInstance } from 'fastify';
import type { Test } from 'tap';
import { buildTestApp, form, GENEROUS_LIMITS, keysDirWithKey, realClock } from './app.js';
import type { TestRedis } from './redis-server.js';
import { refresh, registerAndLogin } from './oauth.js';

/** One refresh-token family the load keeps rotating, alternating between the two instances. */
export interface Chain {
  name: string;
  refreshToken: string;
  accessToken: string;
  sid: string;
  refreshes: number;
}

/** What went wrong, or was only unavailable, while the load ran. */
export interface LoadReport {
  refreshes: number;
  forwardChecks: number;
  /** When each 503 came (ms since the epoch): allowed while the topology switches, nowhere else. */
  unavailableAt: number[];
  /** A chain refused (400): a false reuse, or a session lost. */
  refusedChains: string[];
  /** A live token refused by forward-auth (401): misjudged. */
  refusedLive: string[];
  /** A revoked token accepted by forward-auth (200) more than a second after its revocation was answered. */
  acceptedRevoked: string[];
}

/** How soon a revocation on one instance must be enforced by every other. */
export const REVOCATION_REACH_MS = 1000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const CLIENTS = [{ client_id: 'web', type: 'public', grant_types: ['password', 'refresh_token'], scope: 'profile' }];

/** Two instances of one service on the given Redis (one key prefix, one KEYS_DIR), on the real clock. */
export async function twoInstances(
  t: Parameters<typeof buildTestApp>[0],
  redis: TestRedis,
): Promise<{ a: FastifyInstance; b: FastifyInstance; prefix: string }> {
  const clock = realClock();
  const shared = { prefix: redis.prefix(), keysDir: (await keysDirWithKey(t, clock)).dir };
  const options = { store: 'redis' as const, redis, clients: CLIENTS, clock, shared, config: { rateLimits: { ...GENEROUS_LIMITS, enabled: false } } };
  return { a: (await buildTestApp(t, options)).app, b: (await buildTestApp(t, options)).app, prefix: shared.prefix };
}

/** Logs in `count` users on `app`, each the start of a chain. */
export async function startChains(app: FastifyInstance, count: number, name: string): Promise<Chain[]> {
  const chains: Chain[] = [];
  for (let i = 0; i < count; i++) {
    const login = await registerAndLogin(app, `${name}-${i}`);
    chains.push({
      name: `${name}-${i}`,
      refreshToken: login.refresh_token!,
      accessToken: login.access_token!,
      sid: String(decodeJwt(login.access_token!).sid),
      refreshes: 0,
    });
  }
  return chains;
}

/** Revokes an access token through `app`, retrying while the store is unavailable (503). */
export async function revokeAccessToken(app: FastifyInstance, token: string, unavailableAt: number[]): Promise<void> {
  for (;;) {
    const response = await app.inject({ method: 'POST', url: '/oauth/revoke', ...form({ token, client_id: 'web' }) });
    if (response.statusCode === 200) return;
    if (response.statusCode !== 503) throw new Error(`revocation answered ${response.statusCode}: ${response.body}`);
    unavailableAt.push(Date.now());
    await sleep(50);
  }
}

/**
 * Steady traffic on two instances until stop(): every chain refreshes in turn on A and B (a 503 is retried with the
 * same token, as a client would), and forward-auth on B checks every chain's newest access token and every token in
 * `revoked` (which the test may add to while the load runs).
 */
export class FailoverLoad {
  readonly report: LoadReport = { refreshes: 0, forwardChecks: 0, unavailableAt: [], refusedChains: [], refusedLive: [], acceptedRevoked: [] };
  /** Revoked tokens, with when their revocation was answered. */
  readonly revoked = new Map<string, number>();
  #running = true;
  readonly #done: Promise<unknown>;

  constructor(
    private readonly a: FastifyInstance,
    private readonly b: FastifyInstance,
    readonly chains: Chain[],
  ) {
    this.#done = Promise.all([...chains.map((chain) => this.#refreshing(chain)), this.#checking()]);
  }

  /** Ends the load and answers what it saw. */
  async stop(): Promise<LoadReport> {
    this.#running = false;
    await this.#done;
    return this.report;
  }

  async #refreshing(chain: Chain): Promise<void> {
    let turn = 0;
    while (this.#running) {
      const app = turn++ % 2 === 0 ? this.a : this.b;
      const response = await refresh(app, chain.refreshToken);
      if (response.status === 200) {
        chain.refreshToken = response.body.refresh_token!;
        chain.accessToken = response.body.access_token!;
        chain.refreshes += 1;
        this.report.refreshes += 1;
      } else if (response.status === 503) {
        this.report.unavailableAt.push(Date.now());
        await sleep(50);
      } else {
        this.report.refusedChains.push(`${chain.name} at ${Date.now()}: ${response.status} ${JSON.stringify(response.body)}`);
        return;
      }
      await sleep(10);
    }
  }

  async #checking(): Promise<void> {
    while (this.#running) {
      for (const [token, revokedAt] of this.revoked) {
        const status = await this.#forwardAuth(token);
        // Revocations reach every instance within a second (docs/operations/scaling.md); past that, an acceptance is a lost revocation.
        if (status === 200 && Date.now() - revokedAt > REVOCATION_REACH_MS) this.report.acceptedRevoked.push(`${token.slice(-12)} at ${Date.now()}`);
      }
      for (const chain of this.chains) {
        const status = await this.#forwardAuth(chain.accessToken);
        if (status === 401 && !this.revoked.has(chain.accessToken)) this.report.refusedLive.push(chain.name);
      }
      await sleep(5);
    }
  }

  async #forwardAuth(token: string): Promise<number> {
    const response = await this.b.inject({ url: '/forward-auth', headers: { authorization: `Bearer ${token}` } });
    this.report.forwardChecks += 1;
    if (response.statusCode === 503) this.report.unavailableAt.push(Date.now());
    return response.statusCode;
  }
}

/** A topology switch under load: from when the test started it to when the topology settled, and the switch itself. */
export interface SwitchWindow {
  start: number;
  end: number;
  /** When the new master was named (epoch ms): what a 503's lateness is measured from. */
  switchedAt: number;
}

/** For each switch, how long after it (ms) its last 503 came (within its window and `slackMs` after); 0 when none came after it. */
export function unavailableAfterSwitches(report: LoadReport, windows: SwitchWindow[], slackMs: number): number[] {
  return windows.map((window) =>
    report.unavailableAt.filter((at) => at >= window.start && at <= window.end + slackMs).reduce((latest, at) => Math.max(latest, at - window.switchedAt), 0),
  );
}

/** The 503s outside every [start, end + slackMs] window: each one a request the service failed without cause. */
export function unavailableOutside(report: LoadReport, windows: Array<{ start: number; end: number }>, slackMs: number): number[] {
  return report.unavailableAt.filter((at) => !windows.some((window) => at >= window.start && at <= window.end + slackMs));
}

/**
 * The verdict of a failover test: no chain refused, no revoked token accepted past a second, no live token refused,
 * 503 only within a switch (and `slackMs` after it), every chain still refreshing and its newest token still valid.
 */
export async function checkNothingLost(
  t: Test,
  load: FailoverLoad,
  windows: Array<{ start: number; end: number }>,
  slackMs: number,
  b: FastifyInstance,
): Promise<void> {
  const report = await load.stop();
  t.comment(`switches: ${JSON.stringify(windows)}`);
  t.same(report.refusedChains, [], 'no chain ended: no false reuse, no lost session');
  t.same(report.acceptedRevoked, [], 'no revoked token passed forward-auth');
  t.same(report.refusedLive, [], 'no live token was refused');
  t.same(unavailableOutside(report, windows, slackMs), [], `503 only while the topology switched (${report.unavailableAt.length} in all)`);
  t.ok(
    load.chains.every((chain) => chain.refreshes > 5),
    `every chain kept refreshing (${report.refreshes} refreshes, ${report.forwardChecks} forward-auth checks)`,
  );
  for (const chain of load.chains) {
    const response = await b.inject({ url: '/forward-auth', headers: { authorization: `Bearer ${chain.accessToken}` } });
    t.equal(response.statusCode, 200, `${chain.name} still verifies`);
  }
}
