// node bench/redis-memory.mjs [sessions] [--listpack-value N] [--per-user K]: what Redis holds per session, measured
// with MEMORY USAGE on a private redis-server (with --listpack-value, started with hash-max-listpack-value N). Creates
// users with K sessions each (1 unless --per-user) through the built store (dist/), then rotates each session's
// refresh token ten times, and prints bytes and keys per session before and after (the Redis sizing in docs/operations/production.md).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { freePort, root, waitFor } from './lib.mjs';

const listpackArg = process.argv.indexOf('--listpack-value');
const listpack = listpackArg > 0 ? ['--hash-max-listpack-value', process.argv[listpackArg + 1]] : [];
const perUserArg = process.argv.indexOf('--per-user');
const perUser = perUserArg > 0 ? Number(process.argv[perUserArg + 1]) : 1;
const count = Number(process.argv.slice(2).find((arg, i, args) => /^\d+$/.test(arg) && !args[i - 1]?.startsWith('--')) ?? 2000);
const { RedisStore } = await import(`${root}/dist/store/redis/redis-store.js`);
const { connectRedis, storeConnection } = await import(`${root}/dist/store/redis/connection.js`);
const { createLogger } = await import(`${root}/dist/logger.js`);

const port = await freePort();
const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...listpack], { stdio: 'ignore' });
const url = `redis://127.0.0.1:${port}`;
try {
  await waitFor(async () => {
    const probe = createClient({ url, socket: { reconnectStrategy: false } });
    probe.on('error', () => {});
    await probe.connect();
    await probe.close();
    return true;
  });
  const logger = createLogger('silent');
  const store = new RedisStore(storeConnection(await connectRedis(url, logger)), 'tokensmith:', logger);
  const probe = createClient({ url });
  await probe.connect();
  const usage = async (pattern) => {
    let bytes = 0;
    let keys = 0;
    for await (const batch of probe.scanIterator({ MATCH: pattern, COUNT: 1000 })) {
      for (const key of batch) {
        bytes += Number(await probe.memoryUsage(key, { SAMPLES: 0 }));
        keys += 1;
      }
    }
    return { bytes, keys };
  };
  const now = Math.floor(Date.now() / 1000);
  const tokens = [];
  const userCount = Math.ceil(count / perUser);
  for (let i = 0; i < count; i++) {
    const id = `00000000-0000-4000-8000-${String(i % userCount).padStart(12, '0')}`;
    if (i < userCount) {
      await store.users.create({
        id,
        username: `user-${i}`,
        usernameKey: `user-${i}`,
        passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$' + 'x'.repeat(22) + '$' + 'y'.repeat(43),
        createdAt: now,
        disabled: false,
      });
    }
    const sid = randomUUID().replaceAll('-', '').slice(0, 22);
    const hash = `h0-${sid}`.padEnd(43, 'x');
    const session = {
      sid,
      userId: id,
      clientId: 'web',
      scope: 'profile',
      createdAt: now,
      lastUsedAt: now,
      expiresAt: now + 30 * 86400,
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
      ip: '203.0.113.7',
      authTime: now,
      amr: ['pwd'],
    };
    await store.sessions.create(session, { refreshTokenHash: hash, idleTtl: 7 * 86400 });
    tokens.push({ sid, hash });
  }
  const users = await usage('tokensmith:user*');
  const names = await usage('tokensmith:username:*');
  const report = (label, sessions) => {
    const perSession = sessions.bytes / count;
    console.log(
      `${label}: ${Math.round(perSession)} bytes and ${(sessions.keys / count).toFixed(1)} keys per session (${Math.round(perSession)} MB per million sessions)`,
    );
  };
  const sessionKeys = async () => {
    const s = await usage('tokensmith:session:*');
    const r = await usage('tokensmith:refresh:*');
    const u = await usage('tokensmith:user-sessions:*');
    const each = (part) => Math.round(part.bytes / count);
    console.log(`  session hash ${each(s)}, refresh token lookups ${each(r)}, user's index ${each(u)} bytes per session (${perUser} per user)`);
    return { bytes: s.bytes + r.bytes + u.bytes, keys: s.keys + r.keys + u.keys };
  };
  report("a new session (its hash, its refresh token lookup, its share of the user's index)", await sessionKeys());
  for (let round = 1; round <= 10; round++) {
    for (const token of tokens) {
      const next = `h${round}-${token.sid}`.padEnd(43, 'x');
      await store.sessions.rotate({
        tokenHash: token.hash,
        clientId: 'web',
        newTokenHash: next,
        sealedSuccessor: 'z'.repeat(43),
        graceMs: 10_000,
        idleTtl: 7 * 86400,
        revokedTtl: 960,
      });
      token.hash = next;
    }
  }
  report('after 10 rotations (a spent token keeps its lookup until the session ends, for reuse detection)', await sessionKeys());
  console.log(`per user (hash and username): ${Math.round((users.bytes - (await usage('tokensmith:user-sessions:*')).bytes + names.bytes) / userCount)} bytes`);
  await probe.close();
  await store.close();
} finally {
  server.kill('SIGKILL');
}
