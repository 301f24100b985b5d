import t from 'tap';
import { claimAt, parseProviderEntry, parseProviders, ProviderEntryError } from '../../src/federation/provider.js';

const ENTRY = {
  id: 'gitlab',
  name: 'GitLab',
  issuer: 'https://gitlab.com',
  client_id: 'abc',
  client_secret_env: 'GITLAB_SECRET',
  scope: 'openid profile email',
};
const ENV = { GITLAB_SECRET: 's3cret' };

t.test('a provider entry: defaults, the secret from the environment, the claim mapping as JSON pointers', async (t) => {
  t.same(parseProviderEntry(ENTRY, ENV), {
    id: 'gitlab',
    name: 'GitLab',
    issuer: 'https://gitlab.com',
    clientId: 'abc',
    clientSecret: 's3cret',
    scope: 'openid profile email',
    icon: undefined,
    userinfo: false,
    createAccounts: true,
    trustEmail: false,
    claims: { username: '/preferred_username', email: '/email', emailVerified: '/email_verified' },
  });
  const mapped = parseProviderEntry({ ...ENTRY, claims: { username: '/nickname', email_verified: '/https:~1~1example.com~1verified' }, userinfo: true }, ENV);
  t.same(mapped.claims, { username: '/nickname', email: '/email', emailVerified: '/https:~1~1example.com~1verified' });
  t.equal(claimAt({ 'https://example.com/verified': true }, mapped.claims.emailVerified), true, 'RFC 6901: ~1 is a slash');
  t.equal(claimAt({ a: { 'b~c': 1 } }, '/a/b~0c'), 1, '~0 is a tilde');
  t.equal(claimAt({ a: 1 }, '/a/b'), undefined);
  t.equal(claimAt({}, '/constructor'), undefined, 'only own properties');
  t.equal(parseProviderEntry({ ...ENTRY, client_secret_env: undefined, client_secret: 'inline' }, ENV).clientSecret, 'inline');
  t.equal(parseProviderEntry({ ...ENTRY, issuer: 'http://127.0.0.1:4000/oidc' }, ENV).issuer, 'http://127.0.0.1:4000/oidc', 'plain http on loopback only');
});

t.test('a bad entry says what is wrong, naming the entry', async (t) => {
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ ...ENTRY, id: 'Git Lab' }, /id must be/],
    [{ ...ENTRY, issuer: 'http://gitlab.com' }, /issuer must be an https URL/],
    [{ ...ENTRY, issuer: 'https://gitlab.com/?x=1' }, /without query/],
    [{ ...ENTRY, scope: 'profile email' }, /scope must include openid/],
    [{ ...ENTRY, client_secret: 'x' }, /one of them/],
    [{ ...ENTRY, client_secret_env: 'UNSET_VARIABLE' }, /UNSET_VARIABLE, which is not set/],
    [{ ...ENTRY, claims: { username: 'preferred_username' } }, /JSON pointer/],
    [{ ...ENTRY, icon: 'http://example.com/icon.png' }, /icon must be an https URL/],
    [{ ...ENTRY, secret: 'typo' }, /unknown fields: secret/],
  ];
  for (const [entry, message] of bad) {
    t.throws(() => parseProviders([ENTRY, entry], ENV), { name: 'Error', message: new RegExp(`^entry 1 .*${message.source}`) }, message.source);
  }
  t.throws(() => parseProviders([ENTRY, ENTRY], ENV), /id gitlab appears twice/);
  t.throws(() => parseProviders({}, ENV), { message: 'expected a JSON array of provider entries' });
  t.ok(
    (() => {
      try {
        parseProviders([{}], ENV);
      } catch (caught) {
        return caught instanceof ProviderEntryError;
      }
    })(),
    'a ProviderEntryError, for the loader to name the file',
  );
  const error = (() => {
    try {
      parseProviders([{ ...ENTRY, client_secret_env: undefined, client_secret: '' }], ENV);
    } catch (caught) {
      return caught as Error;
    }
  })();
  t.notMatch(String(error?.message), /s3cret/, 'never a secret in a message');
});
