import { availableParallelism } from 'node:os';
import t from 'tap';
import { ARGON2_MINIMUM, loadConfig } from '../src/config.js';
import { repoPath } from './helpers/spawn.js';

t.test('defaults', async (t) => {
  const config = loadConfig({});
  t.equal(config.port, 3000);
  t.equal(config.host, '0.0.0.0');
  t.equal(config.issuer, 'http://localhost:3000');
  t.equal(config.accessTokenTtl, 900);
  t.equal(config.keysDir, repoPath('keys'), 'relative paths are read against the service folder, not the current one');
  t.equal(config.registration, 'open');
  t.equal(config.redis, undefined);
  t.equal(config.clientsFile, undefined);
  t.same(config.argon2, ARGON2_MINIMUM, 'OWASP minimum by default');
  t.equal(config.production, false);
  t.equal(config.refreshTokenTtl, 30 * 86400);
  t.equal(config.refreshIdleTtl, 7 * 86400);
  t.equal(config.refreshReuseGrace, 10);
  t.same(config.allowedOrigins, []);
  t.equal(config.cookieSecure, true);
  t.equal(config.revocationUnavailable, 'reject', 'fail closed by default');
  t.equal(config.rateLimits.ipv6Prefix, 64, 'IPv6 clients are counted per /64');
  t.equal(loadConfig({ RATE_LIMIT_IPV6_PREFIX: '56' }).rateLimits.ipv6Prefix, 56);
  t.equal(config.hashing.maxConcurrent, Math.min(4, availableParallelism()), 'one argon2 computation per core, at most the 4 threads of libuv');
});

t.test('ALLOWED_ORIGINS is a comma-separated list of exact origins', async (t) => {
  t.same(loadConfig({ ALLOWED_ORIGINS: 'https://app.example.com, http://localhost:5173' }).allowedOrigins, [
    'https://app.example.com',
    'http://localhost:5173',
  ]);
});

t.test('ISSUER defaults to the port, and a trailing slash is dropped', async (t) => {
  t.equal(loadConfig({ PORT: '8080' }).issuer, 'http://localhost:8080');
  t.equal(loadConfig({ ISSUER: 'https://auth.example.com/' }).issuer, 'https://auth.example.com');
});

/** The least a production configuration needs. */
const PRODUCTION = { NODE_ENV: 'production', ISSUER: 'https://auth.example.com', REDIS_URL: 'redis://127.0.0.1:6379' };

const bad: Array<[string, Record<string, string>]> = [
  ['PORT', { PORT: 'eighty' }],
  ['PORT', { PORT: '70000' }],
  ['ACCESS_TOKEN_TTL', { ACCESS_TOKEN_TTL: '-5' }],
  ['ACCESS_TOKEN_TTL', { ACCESS_TOKEN_TTL: '10' }],
  ['ISSUER', { ISSUER: 'not a url' }],
  ['ISSUER', { ISSUER: 'ftp://auth.example.com' }],
  ['ISSUER', { ISSUER: 'https://auth.example.com/?x=1' }],
  ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
  ['REGISTRATION', { REGISTRATION: 'maybe' }],
  ['REDIS_URL', { REDIS_URL: 'http://localhost:6379' }],
  ['JWKS_MAX_AGE', { JWKS_MAX_AGE: '1.5' }],
  ['REFRESH_REUSE_GRACE', { REFRESH_REUSE_GRACE: '301' }],
  ['REFRESH_TOKEN_TTL', { REFRESH_TOKEN_TTL: 'forever' }],
  ['REFRESH_IDLE_TTL', { REFRESH_IDLE_TTL: '0' }],
  ['ALLOWED_ORIGINS', { ALLOWED_ORIGINS: 'https://app.example.com/' }],
  ['ALLOWED_ORIGINS', { ALLOWED_ORIGINS: '*' }],
  ['COOKIE_SECURE', { COOKIE_SECURE: 'no' }],
  ['REVOCATION_UNAVAILABLE', { REVOCATION_UNAVAILABLE: 'maybe' }],
  ['ARGON2_MEMORY_KIB', { ...PRODUCTION, ARGON2_MEMORY_KIB: '1024' }],
  ['ARGON2_TIME_COST', { ...PRODUCTION, ARGON2_TIME_COST: '1' }],
  ['STORE', { STORE: 'disk' }],
  ['RATE_LIMIT_IPV6_PREFIX', { RATE_LIMIT_IPV6_PREFIX: '129' }],
  ['RATE_LIMIT_IPV6_PREFIX', { RATE_LIMIT_IPV6_PREFIX: '16' }],
  ['ADMIN_PORT', { ADMIN_PORT: 'admin' }],
  ['RATE_LIMIT_ADMIN_IP', { RATE_LIMIT_ADMIN_IP: '0' }],
  ['MFA', { MFA: 'sometimes' }],
];

t.test('the admin API is off without ADMIN_PORT, and binds to loopback by default', async (t) => {
  t.equal(loadConfig({}).admin, undefined);
  t.same(loadConfig({ ADMIN_PORT: '9000' }).admin, { port: 9000, host: '127.0.0.1' });
  t.same(loadConfig({ ADMIN_PORT: '9000', ADMIN_HOST: '10.0.0.5' }).admin, { port: 9000, host: '10.0.0.5' });
  t.equal(loadConfig({}).rateLimits.adminPerIp, 600);
});

for (const [variable, env] of bad) {
  t.test(`a bad ${variable} (${JSON.stringify(env)}) is a ConfigError naming it`, async (t) => {
    t.throws(() => loadConfig(env), { name: 'ConfigError', variable, message: new RegExp(`^${variable}: expected`) });
  });
}

t.test('cheap argon2 parameters are refused in production only', async (t) => {
  t.equal(loadConfig({ ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1' }).argon2.memoryCost, 1024);
  t.throws(() => loadConfig({ ...PRODUCTION, ARGON2_MEMORY_KIB: '1024' }), { name: 'ConfigError', variable: 'ARGON2_MEMORY_KIB' });
});

t.test('production refuses unsafe settings, each with the variable named', async (t) => {
  t.equal(loadConfig(PRODUCTION).store, 'redis');
  const { ISSUER: _issuer, ...withoutIssuer } = PRODUCTION;
  t.throws(() => loadConfig(withoutIssuer), { name: 'ConfigError', variable: 'ISSUER', message: /^ISSUER: required in production/ });
  const { REDIS_URL: _url, ...withoutRedis } = PRODUCTION;
  t.throws(() => loadConfig(withoutRedis), {
    name: 'ConfigError',
    variable: 'REDIS_URL',
    message: /^REDIS_URL: required in production \(or REDIS_CLUSTER_NODES or REDIS_SENTINELS; or STORE=memory/,
  });
  t.equal(loadConfig({ ...withoutRedis, STORE: 'memory' }).store, 'memory', 'the embedded store, asked for explicitly');
  t.throws(() => loadConfig({ ...PRODUCTION, STORE: 'memory' }), { name: 'ConfigError', variable: 'STORE' }, 'STORE=memory with REDIS_URL is a contradiction');
  t.throws(() => loadConfig({ STORE: 'redis' }), { name: 'ConfigError', variable: 'REDIS_URL' }, 'STORE=redis needs REDIS_URL anywhere');
  t.equal(loadConfig({}).store, 'memory', 'outside production the embedded store is the default');
  t.equal(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).store, 'redis');
  t.equal(loadConfig({ NODE_ENV: 'production' }, 'command').store, 'memory', 'a CLI command (keys) needs neither ISSUER nor Redis');
});

t.test('Redis: one server, a cluster through seed nodes, or sentinels; more than one is a configuration error', async (t) => {
  t.same(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).redis, { kind: 'single', url: 'redis://127.0.0.1:6379' });
  t.same(loadConfig({ REDIS_CLUSTER_NODES: 'redis://10.0.0.1:7000, rediss://:pw@10.0.0.2:7000' }).redis, {
    kind: 'cluster',
    nodes: ['redis://10.0.0.1:7000', 'rediss://:pw@10.0.0.2:7000'],
  });
  t.same(
    loadConfig({
      REDIS_SENTINELS: '10.0.0.1:26379,sentinel-2:26379,[::1]:26380',
      REDIS_SENTINEL_NAME: 'main',
      REDIS_SENTINEL_PASSWORD: 's3',
      REDIS_PASSWORD: 'p4',
    }).redis,
    {
      kind: 'sentinel',
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: 'sentinel-2', port: 26379 },
        { host: '::1', port: 26380 },
      ],
      name: 'main',
      sentinelPassword: 's3',
      password: 'p4',
    },
  );
  t.equal(loadConfig({ ...PRODUCTION, REDIS_URL: undefined, REDIS_CLUSTER_NODES: 'redis://10.0.0.1:7000' }).store, 'redis', 'a cluster serves production');
  const both = { REDIS_URL: 'redis://127.0.0.1:6379', REDIS_CLUSTER_NODES: 'redis://10.0.0.1:7000' };
  t.throws(() => loadConfig(both), { name: 'ConfigError', variable: 'REDIS_CLUSTER_NODES', message: /contradicts REDIS_URL/ });
  t.throws(() => loadConfig({ REDIS_CLUSTER_NODES: 'redis://a:1', REDIS_SENTINELS: 'b:2', REDIS_SENTINEL_NAME: 'm' }), {
    name: 'ConfigError',
    variable: 'REDIS_SENTINELS',
  });
  t.throws(() => loadConfig({ REDIS_SENTINELS: 'b:2' }), { name: 'ConfigError', variable: 'REDIS_SENTINEL_NAME' }, 'the master name is required');
  t.throws(() => loadConfig({ REDIS_SENTINELS: 'b', REDIS_SENTINEL_NAME: 'm' }), { name: 'ConfigError', variable: 'REDIS_SENTINELS' }, 'host:port');
  t.throws(() => loadConfig({ REDIS_SENTINEL_NAME: 'm' }), { name: 'ConfigError', variable: 'REDIS_SENTINEL_NAME' }, 'a sentinel setting alone');
  t.throws(() => loadConfig({ REDIS_CLUSTER_NODES: 'http://a:1' }), { name: 'ConfigError', variable: 'REDIS_CLUSTER_NODES' });
  t.throws(() => loadConfig({ REDIS_CLUSTER_NODES: 'redis://a:1', REDIS_KEY_PREFIX: 'app{x}:' }), { name: 'ConfigError', variable: 'REDIS_KEY_PREFIX' });
  try {
    loadConfig({ REDIS_CLUSTER_NODES: 'redis://a:1,http://user:hunter2secret@host' });
    t.fail('should throw');
  } catch (error) {
    t.notMatch((error as Error).message, /hunter2secret/, 'a bad seed URL is not echoed');
  }
});

t.test('a bad REDIS_URL error never echoes the URL, which may hold a password', async (t) => {
  try {
    loadConfig({ REDIS_URL: 'http://user:hunter2secret@host' });
    t.fail('should throw');
  } catch (error) {
    t.notMatch((error as Error).message, /hunter2secret/);
  }
});

t.test('unknownSettings: what looks like a setting but is none, and what it likely means', async (t) => {
  const { unknownSettings } = await import('../src/settings.js');
  t.same(
    unknownSettings({
      RATELIMIT_LOGIN_IP: '1',
      REFRESH_TOKEN_TTLS: '1',
      SIGNING_ALGO: 'ES256',
      ARGON2_MEMORY: '1',
      REDIS_HOST: 'x',
      // Known settings, and what every shell, image or platform sets.
      PORT: '1',
      REDIS_URL: 'redis://x',
      HOSTNAME: 'x',
      HOME: '/root',
      PATH: '/bin',
      NODE_VERSION: '24',
      NODE_OPTIONS: '',
      LOGNAME: 'root',
      REDIS_SERVICE_HOST: '10.0.0.1',
      REDIS_PORT_6379_TCP_ADDR: '10.0.0.1',
      TOKENSMITH_SERVICE_PORT_HTTP: '80',
      npm_config_cache: 'x',
    }),
    [
      { name: 'RATELIMIT_LOGIN_IP', meant: 'RATE_LIMIT_LOGIN_IP' },
      { name: 'REFRESH_TOKEN_TTLS', meant: 'REFRESH_TOKEN_TTL' },
      { name: 'SIGNING_ALGO', meant: 'SIGNING_ALG' },
      { name: 'ARGON2_MEMORY' },
      { name: 'REDIS_HOST' },
    ],
  );
});

t.test('mail: a folder outside production, off in production unless SMTP is set; what cannot work is refused, naming the variable', async (t) => {
  t.same(loadConfig({}).mail.transport.kind, 'folder', 'npm start needs nothing');
  t.same(loadConfig(PRODUCTION).mail.transport, { kind: 'off' });
  t.same(loadConfig(PRODUCTION).email.registration, 'optional');
  const smtp = loadConfig({ ...PRODUCTION, MAIL_TRANSPORT: 'smtp', SMTP_URL: 'smtps://user:pa%40ss@mail.example.com', MAIL_FROM: 'Auth <auth@example.com>' });
  t.same(smtp.mail.transport, { kind: 'smtp', url: 'smtps://user:pa%40ss@mail.example.com', user: undefined, password: undefined, caFile: undefined });
  t.equal(smtp.mail.from, 'Auth <auth@example.com>');
  for (const [variable, env] of [
    ['MAIL_TRANSPORT', { ...PRODUCTION, MAIL_TRANSPORT: 'folder' }],
    ['MAIL_TRANSPORT', { ...PRODUCTION, REGISTRATION_EMAIL: 'required' }],
    ['SMTP_URL', { ...PRODUCTION, MAIL_TRANSPORT: 'smtp' }],
    ['SMTP_URL', { MAIL_TRANSPORT: 'smtp', SMTP_URL: 'http://mail.example.com' }],
    ['MAIL_FROM', { ...PRODUCTION, MAIL_TRANSPORT: 'smtp', SMTP_URL: 'smtp://mail.example.com:587' }],
    ['REGISTRATION_EMAIL', { REGISTRATION_EMAIL: 'sometimes' }],
    ['MAIL_TRANSPORT', { SIGN_IN_REQUIRES_VERIFIED_EMAIL: 'true', REGISTRATION_EMAIL: 'required', MAIL_TRANSPORT: 'off' }],
    ['REGISTRATION_EMAIL', { SIGN_IN_REQUIRES_VERIFIED_EMAIL: 'true' }],
    ['SIGN_IN_REQUIRES_VERIFIED_EMAIL', { SIGN_IN_REQUIRES_VERIFIED_EMAIL: 'yes' }],
    ['PASSWORD_RESET_TTL', { PASSWORD_RESET_TTL: '60' }],
  ] as const) {
    t.throws(() => loadConfig(env), { name: 'ConfigError', variable }, `${variable}: ${JSON.stringify(env)}`);
  }
  const error = (() => {
    try {
      loadConfig({ MAIL_TRANSPORT: 'smtp', SMTP_URL: 'ftp://user:secret-password@mail.example.com' });
    } catch (caught) {
      return caught as Error;
    }
  })();
  t.notMatch(error?.message, /secret-password/, 'the URL (and its password) is never in the error');
});

t.test('passkeys: the issuer host is the relying party; PASSKEY_RP_ID and PASSKEY_ORIGINS only within it; off on an IP address', async (t) => {
  t.same(loadConfig({ ISSUER: 'https://login.example.com' }).passkeys, { rpId: 'login.example.com', origins: ['https://login.example.com'] });
  t.same(loadConfig({ ISSUER: 'https://login.example.com', PASSKEY_RP_ID: 'example.com' }).passkeys, {
    rpId: 'example.com',
    origins: ['https://login.example.com'],
  });
  t.same(
    loadConfig({ ISSUER: 'https://login.example.com', PASSKEY_RP_ID: 'example.com', PASSKEY_ORIGINS: 'https://id.example.com,https://example.com' }).passkeys,
    {
      rpId: 'example.com',
      origins: ['https://id.example.com', 'https://example.com'],
    },
  );
  t.equal(loadConfig({ ISSUER: 'http://127.0.0.1:3000' }).passkeys, undefined, 'an IP address cannot be a relying party id (WebAuthn §5.1.4.1)');
  t.equal(loadConfig({ ISSUER: 'http://[::1]:3000' }).passkeys, undefined);
  t.equal(loadConfig({ ISSUER: 'http://tokensmith:3000' }).passkeys, undefined, 'nor a single label (a container name)');
  t.equal(loadConfig({ ISSUER: 'http://auth.example.com' }).passkeys, undefined, 'nor an http origin off localhost: no secure context');
  t.same(loadConfig({ ISSUER: 'http://localhost:3000' }).passkeys, { rpId: 'localhost', origins: ['http://localhost:3000'] }, 'http only on localhost');
  const refused: Array<[Record<string, string>, string]> = [
    [{ ISSUER: 'https://login.example.com', PASSKEY_RP_ID: 'other.com' }, 'PASSKEY_RP_ID'],
    [{ ISSUER: 'https://login.example.com', PASSKEY_RP_ID: 'com' }, 'PASSKEY_RP_ID'],
    [{ ISSUER: 'https://login.example.com', PASSKEY_RP_ID: 'ample.com' }, 'PASSKEY_RP_ID'],
    [{ ISSUER: 'http://127.0.0.1:3000', PASSKEY_RP_ID: '127.0.0.1' }, 'PASSKEY_RP_ID'],
    [{ ISSUER: 'https://login.example.com', PASSKEY_ORIGINS: 'https://evil.com' }, 'PASSKEY_ORIGINS'],
    [{ ISSUER: 'https://login.example.com', PASSKEY_RP_ID: 'example.com', PASSKEY_ORIGINS: 'http://id.example.com' }, 'PASSKEY_ORIGINS'],
  ];
  for (const [env, variable] of refused) t.throws(() => loadConfig(env), { name: 'ConfigError', variable }, JSON.stringify(env));
});
