import { spawnSync } from 'node:child_process';
import { decodeJwt } from 'jose';
import t from 'tap';
import { type StoreKind } from '../helpers/app.js';
import { adminCall, buildAdminTestApp, clientToken, OPS_CLIENT } from '../helpers/admin.js';
import { basicAuth, SECRETS } from '../helpers/clients.js';
import { introspectedActive, passwordLogin, refresh, registerAndLogin, tokenRequest } from '../helpers/oauth.js';
import { startRedis } from '../helpers/redis-server.js';
import { buildTestApp, form } from '../helpers/app.js';

const redis = await startRedis();
t.teardown(() => redis.close());

t.test('without ADMIN_PORT there is no admin API: no admin app, and /admin/* is unknown on the public port', async (t) => {
  const { app } = await buildTestApp(t);
  t.equal(app.admin, undefined);
  const response = await app.inject({ method: 'GET', url: '/admin/users' });
  t.equal(response.statusCode, 404);
  t.equal(response.json().error, 'not_found');
});

t.test('with ADMIN_PORT the admin routes are only on the admin app, never on the public one', async (t) => {
  const { app, admin } = await buildAdminTestApp(t, 'memory');
  const token = await clientToken(app);
  t.equal((await adminCall(app, token, 'GET', '/admin/users')).statusCode, 404, 'public port');
  t.equal((await adminCall(admin, token, 'GET', '/admin/users')).statusCode, 200, 'admin port');
  t.equal((await admin.inject({ method: 'GET', url: '/oauth/token' })).statusCode, 401, 'the admin app serves nothing else (and asks for a token first)');
});

for (const kind of ['memory', 'redis'] as StoreKind[]) {
  t.test(`admin API (${kind} store)`, async (t) => {
    const built = await buildAdminTestApp(t, kind, { redis });
    const { app, admin, logs, clock } = built;
    const token = await clientToken(app);
    const call = (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: object) => adminCall(admin, token, method, url, payload);
    const introspect = (accessToken: string) => introspectedActive(app, accessToken);
    const forwardAuth = async (accessToken: string) =>
      (await app.inject({ method: 'GET', url: '/forward-auth', headers: { authorization: `Bearer ${accessToken}` } })).statusCode;

    t.test('who may call: an admin client_credentials token only (RFC 6750 §3.1)', async (t) => {
      const none = await adminCall(admin, undefined, 'GET', '/admin/users');
      t.equal(none.statusCode, 401);
      t.equal(none.headers['www-authenticate'], 'Bearer realm="tokensmith"');
      const garbage = await adminCall(admin, 'not-a-jwt', 'GET', '/admin/users');
      t.equal(garbage.statusCode, 401);
      t.equal(garbage.json().error, 'invalid_token');
      const service = await adminCall(admin, await clientToken(app, 'orders-svc', SECRETS.orders), 'GET', '/admin/users');
      t.equal(service.statusCode, 403, 'a service token without the admin scope');
      t.equal(service.json().error, 'insufficient_scope');
      t.match(service.headers['www-authenticate'], /error="insufficient_scope", scope="admin"/);
      const user = await registerAndLogin(app, `who-${kind}`);
      t.equal((await adminCall(admin, user.access_token, 'GET', '/admin/users')).statusCode, 403, "a user's token");
      t.equal((await call('GET', '/admin/users')).statusCode, 200, 'the admin token');
      const revoked = await clientToken(app);
      await app.inject({
        method: 'POST',
        url: '/oauth/revoke',
        ...form({ token: revoked }),
        headers: { ...form({}).headers, authorization: basicAuth('ops', (await import('../helpers/admin.js')).OPS_SECRET) },
      });
      t.equal((await adminCall(admin, revoked, 'GET', '/admin/users')).statusCode, 401, 'a revoked admin token');
    });

    t.test('a token of an admin client deleted since is refused at once', async (t) => {
      const created = await call('POST', '/admin/clients', {
        client_id: `ops2-${kind}`,
        type: 'confidential',
        grant_types: ['client_credentials'],
        scope: 'admin',
      });
      t.equal(created.statusCode, 201);
      const secondToken = await clientToken(app, `ops2-${kind}`, created.json().client_secret);
      t.equal((await adminCall(admin, secondToken, 'GET', '/admin/keys')).statusCode, 200);
      t.equal((await call('DELETE', `/admin/clients/ops2-${kind}`)).statusCode, 204);
      const after = await adminCall(admin, secondToken, 'GET', '/admin/keys');
      t.equal(after.statusCode, 401);
      t.equal(after.json().error, 'invalid_token');
    });

    t.test('a user is named by its id or by its username, and a name shaped as an id is only ever an id', async (t) => {
      const victim = (await call('POST', '/admin/users', { username: `Named-${kind}`, password: 'long enough' })).json() as { id: string; username: string };
      t.equal((await call('GET', `/admin/users/named-${kind}`)).json().id, victim.id, 'the username, in any letter case');
      t.equal((await call('GET', `/admin/users/${victim.id.toUpperCase()}`)).json().id, victim.id, 'the id');
      const disabled = await call('PATCH', `/admin/users/NAMED-${kind}`, { disabled: true });
      t.equal(disabled.statusCode, 200);
      t.same([disabled.json().id, disabled.json().disabled], [victim.id, true], 'a change by username reaches the user');
      t.equal((await call('PATCH', `/admin/users/${encodeURIComponent(`named-${kind}`)}`, { disabled: false })).json().disabled, false);
      t.equal((await call('GET', `/admin/users/${victim.id}/sessions`)).statusCode, 200);
      t.equal((await call('GET', `/admin/users/no-such-name-${kind}`)).statusCode, 404);
      // Someone registers under the name of another account's id: an operator who names it cannot reach that account.
      const impostor = await app.inject({ method: 'POST', url: '/account/register', payload: { username: victim.id, password: 'long enough' } });
      t.equal(impostor.statusCode, 201);
      const named = await call('PATCH', `/admin/users/${victim.id}`, { disabled: true });
      t.equal(named.json().id, victim.id, 'a reference shaped as an id is the id');
      const impostorId = (impostor.json() as { id: string }).id;
      t.equal((await call('GET', `/admin/users/${impostorId}`)).json().username, victim.id, 'the other account is reached by its own id');
      t.equal((await call('PATCH', `/admin/users/${victim.id}`, { disabled: false })).json().id, victim.id);
      t.equal((await call('DELETE', `/admin/users/${impostorId}`)).statusCode, 204);
    });

    t.test('users: create, read, search by prefix a page at a time, bad input changes nothing', async (t) => {
      const names = ['Ann-a', 'ann-b', 'ANN-C', 'bob-a'].map((name) => `${name}-${kind}`);
      for (const username of names) t.equal((await call('POST', '/admin/users', { username, password: 'long enough' })).statusCode, 201, username);
      const noPassword = await call('POST', '/admin/users', { username: `nopass-${kind}` });
      t.equal(noPassword.statusCode, 201);
      t.match(noPassword.json(), { username: `nopass-${kind}`, disabled: false, has_password: false, password_changed_at: null });
      t.notOk('password_hash' in noPassword.json(), 'never the hash');
      const taken = await call('POST', '/admin/users', { username: `ANN-A-${kind}`, password: 'long enough' });
      t.equal(taken.statusCode, 409);
      t.equal(taken.json().error, 'username_taken');
      t.equal((await call('POST', '/admin/users', { username: 'x', password: 'long enough' })).statusCode, 400, 'too short a name');
      t.equal((await call('POST', '/admin/users', { username: `weak-${kind}`, password: 'short' })).statusCode, 400, 'too weak a password');
      t.equal((await call('POST', '/admin/users', { username: `extra-${kind}`, role: 'root' })).statusCode, 400, 'an unknown field');
      t.equal((await call('GET', `/admin/users?query=weak-${kind}`)).json().items.length, 0, 'the refused user was not stored');

      const first = await call('GET', `/admin/users?query=ann-&limit=2`);
      t.equal(first.statusCode, 200);
      t.same(
        first.json().items.map((user: { username: string }) => user.username),
        [`Ann-a-${kind}`, `ann-b-${kind}`],
        'any letter case, in username order',
      );
      t.type(first.json().next_cursor, 'string');
      const second = await call('GET', `/admin/users?query=ANN-&limit=2&cursor=${first.json().next_cursor}`);
      t.same(
        second.json().items.map((user: { username: string }) => user.username),
        [`ANN-C-${kind}`],
      );
      t.equal(second.json().next_cursor, null);
      const one = first.json().items[0];
      t.same((await call('GET', `/admin/users/${one.id}`)).json(), one);
      t.equal((await call('GET', '/admin/users/00000000-0000-4000-8000-000000000000')).statusCode, 404);
      for (const query of ['limit=0', 'limit=101', 'limit=ten', 'cursor=%25%25', 'cursor=bm90LWEtY3Vyc29y_', 'sort=name']) {
        const bad = await call('GET', `/admin/users?${query}`);
        t.equal(bad.statusCode, 400, query);
        t.equal(bad.json().error, 'invalid_request');
      }
    });

    t.test('a user created without a password cannot log in until one is set; setting one ends every session', async (t) => {
      const created = (await call('POST', '/admin/users', { username: `later-${kind}` })).json();
      const refused = await passwordLogin(app, `later-${kind}`, '');
      t.equal(refused.statusCode, 400);
      t.equal((await passwordLogin(app, `later-${kind}`, 'anything at all')).json().error, 'invalid_grant');
      t.equal((await call('PUT', `/admin/users/${created.id}/password`, { password: 'brand new password' })).statusCode, 204);
      const login = await passwordLogin(app, `later-${kind}`, 'brand new password');
      t.equal(login.statusCode, 200);
      t.match((await call('GET', `/admin/users/${created.id}`)).json(), { has_password: true, password_changed_at: Number });
      t.equal((await call('PUT', `/admin/users/${created.id}/password`, { password: 'another new one' })).statusCode, 204);
      t.equal((await refresh(app, login.json().refresh_token)).status, 400, 'the session the old password started ended');
      t.equal(await introspect(login.json().access_token), false);
      t.equal((await passwordLogin(app, `later-${kind}`, 'brand new password')).statusCode, 400, 'the old password is gone');
      t.equal((await call('PUT', '/admin/users/00000000-0000-4000-8000-000000000000/password', { password: 'long enough' })).statusCode, 404);
      t.equal((await call('PUT', `/admin/users/${created.id}/password`, { password: 'short' })).statusCode, 400);
    });

    t.test('disabling a user ends every session at once; its login gets the wrong-password answer; enabling lets it back', async (t) => {
      const login = await registerAndLogin(app, `dis-${kind}`);
      const userId = decodeJwt(login.access_token!).sub!;
      t.equal(await introspect(login.access_token!), true);
      t.equal(await forwardAuth(login.access_token!), 200);
      const disabled = await call('PATCH', `/admin/users/${userId}`, { disabled: true });
      t.equal(disabled.statusCode, 200);
      t.equal(disabled.json().disabled, true);
      t.equal(await introspect(login.access_token!), false, 'introspection refuses the access token');
      t.equal(await forwardAuth(login.access_token!), 401, 'forward-auth too');
      t.equal((await refresh(app, login.refresh_token!)).body.error, 'invalid_grant', 'the refresh token stopped');
      const wrong = await passwordLogin(app, `dis-${kind}`, 'not the password');
      const right = await passwordLogin(app, `dis-${kind}`, 'long enough');
      t.same([right.statusCode, right.json()], [wrong.statusCode, wrong.json()], 'the right password of a disabled user reads as a wrong one');
      t.equal((await app.inject({ method: 'GET', url: '/account/me', headers: { authorization: `Bearer ${login.access_token}` } })).statusCode, 401);
      t.equal((await call('PATCH', `/admin/users/${userId}`, { disabled: false })).json().disabled, false);
      t.equal((await passwordLogin(app, `dis-${kind}`, 'long enough')).statusCode, 200, 'enabled again');
      t.equal(await introspect(login.access_token!), false, 'the ended session stays ended');
      t.equal((await call('PATCH', `/admin/users/${userId}`, { disabled: 'yes' })).statusCode, 400);
      t.equal((await call('PATCH', `/admin/users/${userId}`, {})).statusCode, 400);
      t.equal((await call('PATCH', '/admin/users/00000000-0000-4000-8000-000000000000', { disabled: true })).statusCode, 404);
    });

    t.test('deleting a user ends its sessions, frees the name, and a new account of that name inherits nothing', async (t) => {
      const login = await registerAndLogin(app, `del-${kind}`);
      const userId = decodeJwt(login.access_token!).sub!;
      t.equal((await call('DELETE', `/admin/users/${userId}`)).statusCode, 204);
      t.equal((await call('GET', `/admin/users/${userId}`)).statusCode, 404);
      t.equal((await call('DELETE', `/admin/users/${userId}`)).statusCode, 404, 'twice');
      t.equal(await introspect(login.access_token!), false);
      t.equal(await forwardAuth(login.access_token!), 401);
      t.equal((await refresh(app, login.refresh_token!)).status, 400);
      const again = await registerAndLogin(app, `del-${kind}`, 'web', 'a different password');
      t.not(decodeJwt(again.access_token!).sub, userId, 'a new id');
      t.equal((await call('GET', `/admin/users/${userId}/sessions`)).statusCode, 404, 'the old id has nothing');
      const newId = decodeJwt(again.access_token!).sub!;
      t.equal((await call('GET', `/admin/users/${newId}/sessions`)).json().items.length, 1, 'only its own session');
    });

    t.test("sessions: a user's list a page at a time, end one, end all", async (t) => {
      const logins = [];
      for (let i = 0; i < 3; i += 1) logins.push(await registerAndLogin(app, `ses-${kind}`));
      const userId = decodeJwt(logins[0]!.access_token!).sub!;
      const page = await call('GET', `/admin/users/${userId}/sessions?limit=2`);
      t.equal(page.statusCode, 200);
      t.equal(page.json().items.length, 2);
      t.match(page.json().items[0], { sid: String, client_id: 'web', created_at: Number, user_agent: String, ip: String });
      t.notMatch(page.body, /refresh|eyJ/, 'never a token');
      const rest = await call('GET', `/admin/users/${userId}/sessions?limit=2&cursor=${page.json().next_cursor}`);
      t.equal(rest.json().items.length, 1);
      t.equal(rest.json().next_cursor, null);
      const sids = [...page.json().items, ...rest.json().items].map((session: { sid: string }) => session.sid);
      t.same([...new Set(sids)].sort(), logins.map((login) => decodeJwt(login.access_token!).sid as string).sort());

      const endOne = decodeJwt(logins[0]!.access_token!).sid as string;
      t.equal((await call('DELETE', `/admin/sessions/${endOne}`)).statusCode, 204);
      t.equal((await call('DELETE', `/admin/sessions/${endOne}`)).statusCode, 404, 'ended already');
      t.equal(await introspect(logins[0]!.access_token!), false);
      t.equal(await introspect(logins[1]!.access_token!), true, 'the others live');
      const all = await call('DELETE', `/admin/users/${userId}/sessions`);
      t.same(all.json(), { ended: 2 });
      t.equal(await forwardAuth(logins[2]!.access_token!), 401);
      t.equal((await call('GET', `/admin/users/${userId}/sessions`)).json().items.length, 0);
      t.equal((await call('DELETE', '/admin/users/00000000-0000-4000-8000-000000000000/sessions')).statusCode, 404);
    });

    t.test('clients: how a client presents itself is read and changed like any field, and checked the same way', async (t) => {
      const id = `shown-${kind}`;
      const created = await call('POST', '/admin/clients', {
        client_id: id,
        type: 'public',
        grant_types: ['authorization_code'],
        redirect_uris: ['https://shown.example/cb'],
        client_name: 'Shown App',
        logo_uri: 'https://shown.example/logo.png',
      });
      t.equal(created.statusCode, 201, created.body);
      t.match(created.json().client, {
        client_name: 'Shown App',
        logo_uri: 'https://shown.example/logo.png',
        client_uri: null,
        policy_uri: null,
        tos_uri: null,
      });
      const changed = await call('PATCH', `/admin/clients/${id}`, { policy_uri: 'https://shown.example/privacy', client_name: 'Shown' });
      t.match(changed.json(), { client_name: 'Shown', policy_uri: 'https://shown.example/privacy', logo_uri: 'https://shown.example/logo.png' });
      const refused = await call('PATCH', `/admin/clients/${id}`, { logo_uri: 'javascript:alert(1)' });
      t.equal(refused.statusCode, 400);
      t.match(refused.json().error_description, /logo_uri must be an https URL/);
      t.equal((await call('GET', `/admin/clients/${id}`)).json().logo_uri, 'https://shown.example/logo.png', 'a refused change changes nothing');
      t.equal((await call('DELETE', `/admin/clients/${id}`)).statusCode, 204);
    });

    t.test('clients: CLIENTS_FILE ones are listed and read-only; runtime ones are created, used, changed and deleted', async (t) => {
      const listed = (await call('GET', '/admin/clients?limit=100')).json();
      t.match(
        listed.items.find((client: { client_id: string }) => client.client_id === 'web'),
        { source: 'file', type: 'public', created_at: null },
      );
      t.notMatch(JSON.stringify(listed), /secret_hash|sha256/, 'no secret hash is shown');
      for (const [method, url] of [
        ['PATCH', '/admin/clients/web'],
        ['DELETE', '/admin/clients/orders-svc'],
        ['POST', '/admin/clients/orders-svc/secret'],
      ] as const) {
        const refused = await call(method, url, method === 'PATCH' ? { scope: 'profile' } : undefined);
        t.equal(refused.statusCode, 409, `${method} ${url}`);
        t.match(refused.json(), { error: 'conflict', error_description: /CLIENTS_FILE/ });
      }
      const fileId = await call('POST', '/admin/clients', { client_id: 'web', type: 'public', grant_types: ['password'] });
      t.equal(fileId.statusCode, 409, "a file client's id");

      const id = `reports-${kind}`;
      const created = await call('POST', '/admin/clients', {
        client_id: id,
        type: 'confidential',
        grant_types: ['client_credentials'],
        scope: 'reports:read',
        audience: ['reports-api'],
      });
      t.equal(created.statusCode, 201);
      const secret = created.json().client_secret as string;
      t.match(created.json().client, { client_id: id, source: 'store', scope: 'reports:read', audience: ['reports-api'] });
      t.equal((await call('POST', '/admin/clients', { client_id: id, type: 'public', grant_types: ['password'] })).statusCode, 409, 'a taken id');
      const serviceToken = await clientToken(app, id, secret);
      t.match(decodeJwt(serviceToken), { sub: id, aud: 'reports-api', scope: 'reports:read' });
      t.same((await call('GET', `/admin/clients/${id}`)).json(), created.json().client);

      const changed = await call('PATCH', `/admin/clients/${id}`, { scope: 'reports:read reports:write', description: 'nightly reports' });
      t.equal(changed.statusCode, 200);
      t.match(changed.json(), { scope: 'reports:read reports:write', description: 'nightly reports' });
      t.equal(decodeJwt(await clientToken(app, id, secret)).scope, 'reports:read reports:write', 'the change applies at once');
      const invalid = await call('PATCH', `/admin/clients/${id}`, { grant_types: ['authorization_code'] });
      t.equal(invalid.statusCode, 400, 'validated as the file is');
      t.match(invalid.json().error_description, /redirect_uris/);
      t.equal((await call('GET', `/admin/clients/${id}`)).json().grant_types[0], 'client_credentials', 'the refused change changed nothing');
      for (const body of [{ client_id: 'other' }, { type: 'public' }, { client_secret_hash: 'sha256:00' }, {}]) {
        t.equal((await call('PATCH', `/admin/clients/${id}`, body)).statusCode, 400, JSON.stringify(body));
      }
      for (const body of [
        { client_id: 'bad id!', type: 'public', grant_types: ['password'] },
        { client_id: '6f1c0b1e-1111-4111-8111-111111111111', type: 'public', grant_types: ['password'] },
        { client_id: 'pub-cc', type: 'public', grant_types: ['client_credentials'] },
        { client_id: 'plain', type: 'confidential', grant_types: ['client_credentials'], client_secret: 'x' },
        { client_id: 'redirect', type: 'public', grant_types: ['authorization_code'], redirect_uris: ['http://evil.example/cb'] },
      ]) {
        const refused = await call('POST', '/admin/clients', body);
        t.equal(refused.statusCode, 400, JSON.stringify(body));
        t.equal(refused.json().error, 'invalid_request');
      }

      t.equal((await call('DELETE', `/admin/clients/${id}`)).statusCode, 204);
      t.equal((await call('GET', `/admin/clients/${id}`)).statusCode, 404);
      t.equal((await call('DELETE', `/admin/clients/${id}`)).statusCode, 404);
      t.equal(await introspect(serviceToken), false, "the deleted client's token is refused");
      t.equal(await forwardAuth(serviceToken), 401);
      const gone = await tokenRequest(app, { grant_type: 'client_credentials' }, { authorization: basicAuth(id, secret) });
      t.equal(gone.status, 401);
      const again = { client_id: id, type: 'confidential', grant_types: ['client_credentials'], scope: 'reports:read' };
      const held = await call('POST', '/admin/clients', again);
      t.equal(held.statusCode, 409, 'the id is held for a while after the deletion');
      t.match(held.json().error_description, /deleted moments ago/);
      if (kind === 'memory') {
        // The memory store holds the id by the app's clock, which the test moves; Redis holds it by its own.
        clock.advance(16);
        t.equal((await call('POST', '/admin/clients', again)).statusCode, 201, 'then the id can be taken again');
        t.equal(await introspect(serviceToken), false, "the earlier client's token does not come back to life");
      }
    });

    t.test('a public runtime client logs users in and refreshes; deleting it ends that', async (t) => {
      const id = `app-${kind}`;
      t.equal(
        (await call('POST', '/admin/clients', { client_id: id, type: 'public', grant_types: ['password', 'refresh_token'], scope: 'profile' })).statusCode,
        201,
      );
      const login = await registerAndLogin(app, `pub-${kind}`, id);
      t.equal((await refresh(app, login.refresh_token!, id)).status, 200);
      const userId = decodeJwt(login.access_token!).sub!;
      t.equal((await call('GET', `/admin/users/${userId}/sessions`)).json().items.length, 1);
      t.equal((await call('DELETE', `/admin/clients/${id}`)).statusCode, 204);
      t.equal(await introspect(login.access_token!), false);
      t.same((await call('GET', `/admin/users/${userId}/sessions`)).json().items, [], 'its sessions are over: no list shows them');
      const own = await app.inject({
        url: '/account/sessions',
        headers: { authorization: `Bearer ${(await registerAndLogin(app, `pub-${kind}`)).access_token}` },
      });
      t.same(
        own.json().sessions.map((session: { client_id: string }) => session.client_id),
        ['web'],
        "nor the user's own",
      );
      t.equal((await refresh(app, login.refresh_token!, id)).status, 401, 'an unknown client');
      if (kind === 'memory') {
        clock.advance(16);
        t.equal(
          (await call('POST', '/admin/clients', { client_id: id, type: 'public', grant_types: ['password', 'refresh_token'], scope: 'profile' })).statusCode,
          201,
        );
        t.equal((await refresh(app, login.refresh_token!, id)).body.error, 'invalid_grant', "the old client's session does not refresh under the new one");
      }
    });

    t.test('secret rotation: the new secret at once, the old one for the grace given', async (t) => {
      const id = `rot-${kind}`;
      const first = (await call('POST', '/admin/clients', { client_id: id, type: 'confidential', grant_types: ['client_credentials'], scope: 'x' })).json()
        .client_secret as string;
      const noGrace = await call('POST', `/admin/clients/${id}/secret`);
      t.equal(noGrace.statusCode, 200);
      const second = noGrace.json().client_secret as string;
      t.not(second, first);
      t.equal(noGrace.json().client.previous_secret_expires_at, null);
      t.equal(
        (await tokenRequest(app, { grant_type: 'client_credentials' }, { authorization: basicAuth(id, first) })).status,
        401,
        'grace 0: the old one stops',
      );
      t.ok(await clientToken(app, id, second));
      const withGrace = await call('POST', `/admin/clients/${id}/secret`, { grace_seconds: 60 });
      const third = withGrace.json().client_secret as string;
      t.equal(withGrace.json().client.previous_secret_expires_at, Math.floor(clock.now / 1000) + 60);
      t.ok(await clientToken(app, id, second), 'the previous secret works during the grace');
      t.ok(await clientToken(app, id, third));
      clock.advance(61);
      t.equal((await tokenRequest(app, { grant_type: 'client_credentials' }, { authorization: basicAuth(id, second) })).status, 401, 'and not after it');
      t.ok(await clientToken(app, id, third));
      t.equal((await call('POST', `/admin/clients/${id}/secret`, { grace_seconds: -1 })).statusCode, 400);
      t.equal((await call('POST', `/admin/clients/${id}/secret`, { grace_seconds: 31 * 86_400 })).statusCode, 400);
      t.equal((await call('POST', '/admin/clients/nobody/secret')).statusCode, 404);
      t.equal((await call('POST', '/admin/clients', { client_id: `pub-${id}`, type: 'public', grant_types: ['password'] })).statusCode, 201);
      t.equal((await call('POST', `/admin/clients/pub-${id}/secret`)).statusCode, 409, 'a public client has no secret');
    });

    t.test('keys: listed with their states; rotate adds a pending key; retire keeps the lifecycle rules', async (t) => {
      const before = (await call('GET', '/admin/keys')).json().items;
      t.equal(before.length, 1);
      t.equal(before[0].state, 'signing');
      const rotated = await call('POST', '/admin/keys/rotate');
      t.equal(rotated.statusCode, 201);
      t.equal(rotated.json().state, 'pending', 'published now, signs later');
      t.notMatch(rotated.body, /PRIVATE|"d":/, 'no key material');
      t.equal(JSON.parse(built.keyring.jwks().body).keys.length, 2, 'this instance publishes it at once');
      const refused = await call('POST', `/admin/keys/${before[0].kid}/retire`);
      t.equal(refused.statusCode, 409, 'no other key is active yet');
      t.match(refused.json().error_description, /no other key is active/);
      t.equal((await call('POST', '/admin/keys/not-a-kid/retire')).statusCode, 404);
      t.equal((await call('GET', '/admin/keys')).json().items.length, 2);
    });

    t.test('every admin action is an audit event naming the action, the target and the admin client; no secret or password is logged', async (t) => {
      const events = logs.records().filter((record) => record.event === 'admin_action');
      const actions = new Set(events.map((event) => event.action));
      for (const action of [
        'user_created',
        'user_disabled',
        'user_enabled',
        'user_deleted',
        'user_password_set',
        'user_sessions_ended',
        'session_ended',
        'client_created',
        'client_updated',
        'client_deleted',
        'client_secret_rotated',
        'key_rotated',
      ]) {
        t.ok(actions.has(action), action);
      }
      t.ok(
        events.every((event) => event.client_id === OPS_CLIENT.client_id && event.via === 'api' && typeof event.target === 'string' && event.audit === true),
      );
      const all = logs.lines.join('\n');
      for (const secret of ['long enough', 'brand new password', 'another new one']) t.notMatch(all, secret, 'no password');
      t.notMatch(all, /client_secret"|sha256:/, 'no client secret or hash');
    });
  });
}

t.test('where KEYS_DIR is read-only (a mounted secret), rotate and retire answer 409 saying how to rotate there', async (t) => {
  const { app, admin, keysDir } = await buildAdminTestApp(t, 'memory');
  const token = await clientToken(app);
  // A read-only bind mount of the keys folder onto itself, as a Kubernetes secret volume is mounted (needs root, as CI runs).
  const mount = (args: string[]) => {
    const run = spawnSync('mount', args, { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`mount ${args.join(' ')}: ${run.stderr}`);
  };
  mount(['--bind', keysDir, keysDir]);
  t.teardown(() => void spawnSync('umount', [keysDir]));
  mount(['-o', 'remount,bind,ro', keysDir]);
  const listed = await adminCall(admin, token, 'GET', '/admin/keys');
  t.equal(listed.statusCode, 200, 'listing still works');
  for (const url of ['/admin/keys/rotate', `/admin/keys/${listed.json().items[0].kid}/retire`]) {
    const refused = await adminCall(admin, token, 'POST', url);
    t.equal(refused.statusCode, 409, url);
    t.match(refused.json(), { error: 'conflict', error_description: /read-only.*keys rotate.*update the secret/ });
  }
  t.equal((await adminCall(admin, token, 'GET', '/admin/keys')).json().items.length, 1, 'nothing changed');
});

t.test('a disable that lands while a login runs ends the session that login starts (no session slips past it)', async (t) => {
  const { app, admin, store } = await buildAdminTestApp(t, 'memory');
  const token = await clientToken(app);
  await registerAndLogin(app, 'racer');
  const user = (await store.users.findByUsernameKey('racer'))!;
  const create = store.sessions.create.bind(store.sessions);
  // The operator's disable runs after the password check and before the new session is stored.
  store.sessions.create = async (...args) => {
    t.equal((await adminCall(admin, token, 'PATCH', `/admin/users/${user.id}`, { disabled: true })).statusCode, 200);
    return create(...args);
  };
  const login = await passwordLogin(app, 'racer', 'long enough');
  t.equal(login.statusCode, 400);
  t.equal(login.json().error, 'invalid_grant');
  t.same((await adminCall(admin, token, 'GET', `/admin/users/${user.id}/sessions`)).json().items, [], 'no live session is left');
});

t.test('discovery never advertises the admin scope, and follows the scopes of clients the admin API registers', async (t) => {
  const { app, admin } = await buildAdminTestApp(t, 'memory');
  const scopes = async () => ((await app.inject({ url: '/.well-known/oauth-authorization-server' })).json() as { scopes_supported: string[] }).scopes_supported;
  t.notOk((await scopes()).includes('admin'));
  t.notOk((await scopes()).includes('ledger:read'));
  const token = await clientToken(app);
  const created = await adminCall(admin, token, 'POST', '/admin/clients', {
    client_id: 'ledger',
    type: 'public',
    grant_types: ['authorization_code'],
    scope: 'openid ledger:read',
    redirect_uris: ['https://ledger.example/cb'],
  });
  t.equal(created.statusCode, 201);
  t.ok((await scopes()).includes('ledger:read'), 'a scope of a browser client registered since the start is listed');
});
