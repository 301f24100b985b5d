import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import t from 'tap';
import { tempDir } from '../helpers/app.js';
import { cli } from '../helpers/cli.js';

interface Departure {
  check: string;
  baseline: string;
  what: string;
  fix: string;
}

const departures = async (env: Record<string, string>) => {
  const run = await cli(['doctor', '--json'], env);
  t.equal(run.code, 0, run.err);
  return JSON.parse(run.out) as Departure[];
};

t.test('doctor: the development defaults depart from OAuth 2.1 and FAPI 2.0, each with its fix', async (t) => {
  const found = await departures({ NODE_ENV: 'test' });
  const checks = found.map((departure) => departure.check);
  for (const check of ['password_grant', 'issuer_https', 'par_required', 'sender_constrained']) t.ok(checks.includes(check), check);
  t.match(
    found.find((departure) => departure.check === 'password_grant'),
    { baseline: 'oauth21', what: /client web has the password grant/, fix: /authorization code flow/ },
  );
  t.match(
    found.find((departure) => departure.check === 'par_required'),
    { baseline: 'fapi2', fix: /REQUIRE_PUSHED_AUTHORIZATION_REQUESTS=true/ },
  );
  const human = await cli(['doctor'], { NODE_ENV: 'test', ACCESS_TOKEN_TTL: '86400', RATE_LIMIT: 'off' });
  t.match(human.out, /OAuth 2.1 {2}ACCESS_TOKEN_TTL=86400: a stolen token works that long\n +fix: ACCESS_TOKEN_TTL=900 or less/);
  t.match(human.out, /RATE_LIMIT=off/);
  t.match(human.out, /\d+ from OAuth 2\.1, \d+ from FAPI 2\.0 only\n$/);
});

t.test('doctor: a FAPI-shaped configuration departs in nothing once DPoP is required', async (t) => {
  const { publicKey } = await generateKeyPair('ES256', { extractable: true });
  const clientsFile = join(await tempDir(t), 'clients.json');
  await writeFile(
    clientsFile,
    JSON.stringify([
      {
        client_id: 'bank',
        type: 'confidential',
        jwks: { keys: [await exportJWK(publicKey)] },
        grant_types: ['authorization_code', 'refresh_token'],
        scope: 'openid accounts',
        redirect_uris: ['https://bank.example/cb'],
      },
    ]),
  );
  const found = await departures({
    NODE_ENV: 'test',
    ISSUER: 'https://auth.example',
    CLIENTS_FILE: clientsFile,
    REQUIRE_PUSHED_AUTHORIZATION_REQUESTS: 'true',
  });
  t.same(
    found.map((departure) => departure.check),
    ['sender_constrained'],
    'only DPoP, which is not required yet',
  );
  t.match(found[0]?.fix, /REQUIRE_DPOP=true/);
  const none = await departures({
    NODE_ENV: 'test',
    ISSUER: 'https://auth.example',
    CLIENTS_FILE: clientsFile,
    REQUIRE_PUSHED_AUTHORIZATION_REQUESTS: 'true',
    REQUIRE_DPOP: 'true',
  });
  t.same(none, [], 'with DPoP required: nothing departs');
});
