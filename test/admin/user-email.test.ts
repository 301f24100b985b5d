import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { adminCall, buildAdminTestApp, clientToken, OPS_CLIENT } from '../helpers/admin.js';
import { realClock, tempDir } from '../helpers/app.js';
import { cli } from '../helpers/cli.js';
import { SERVICE_CLIENTS } from '../helpers/clients.js';
import { eventually } from '../helpers/listen.js';
import { startRedis } from '../helpers/redis-server.js';
import { linkIn, startSmtp } from '../helpers/smtp.js';

const redis = await startRedis();
t.teardown(() => redis.close());

t.test('the admin API sets, verifies and clears addresses, sends links, and lists the mails', async (t) => {
  const smtp = await startSmtp(t);
  const { admin, app, store } = await buildAdminTestApp(t, 'redis', { redis, clock: realClock(), config: { mail: smtp.mailConfig() } });
  const token = await clientToken(app);
  const created = await adminCall(admin, token, 'POST', '/admin/users', { username: 'hana', password: 'long enough', email: 'Hana@Example.com' });
  t.equal(created.statusCode, 201);
  t.same([created.json().email, created.json().email_verified], ['Hana@Example.com', false]);
  t.equal((await adminCall(admin, token, 'POST', '/admin/users', { username: 'other', email: 'hana@example.COM' })).json().error, 'email_taken');

  const sent = await adminCall(admin, token, 'POST', '/admin/users/hana/verification-link');
  t.equal(sent.statusCode, 202);
  const mail = await smtp.next('hana@example.com');
  t.match(linkIn(mail, '/verify-email'), /^\/verify-email\?token=/);
  t.ok(
    await eventually(async () => (await adminCall(admin, token, 'GET', '/admin/users/hana/mails')).json().items[0]?.state === 'sent'),
    'the mail is listed as sent',
  );
  const listed = (await adminCall(admin, token, 'GET', '/admin/users/hana/mails')).json().items[0];
  t.same([listed.kind, listed.to, listed.attempts, listed.last_error], ['verify_email', 'Hana@Example.com', 1, null]);
  t.notOk('text' in listed || 'html' in listed, 'never the body');

  const vouched = await adminCall(admin, token, 'PUT', '/admin/users/hana/email', { email: 'Hana@Example.com', verified: true });
  t.equal(vouched.json().email_verified, true, 'the same address, verified by the operator');
  t.equal((await adminCall(admin, token, 'POST', '/admin/users/hana/verification-link')).statusCode, 409, 'nothing to verify');
  const moved = await adminCall(admin, token, 'PUT', '/admin/users/hana/email', { email: 'hana@elsewhere.example' });
  t.same([moved.json().email, moved.json().email_verified], ['hana@elsewhere.example', false], 'a new address starts unverified');
  const notice = await smtp.next('hana@example.com', 1);
  t.match(notice.text, /changed to hana@elsewhere\.example by an operator/, 'the old address is told');
  t.equal((await adminCall(admin, token, 'PUT', '/admin/users/hana/email', { email: 'not an address' })).statusCode, 400);
  t.equal((await store.users.findByUsernameKey('hana'))?.email?.address, 'hana@elsewhere.example', 'a bad address changed nothing');

  t.equal((await adminCall(admin, token, 'POST', '/admin/users/hana/reset-link')).statusCode, 202);
  t.match(linkIn(await smtp.next('hana@elsewhere.example'), '/reset-password'), /token=/);

  const cleared = await adminCall(admin, token, 'DELETE', '/admin/users/hana/email');
  t.same([cleared.json().email, cleared.json().email_verified], [null, false]);
  t.equal((await adminCall(admin, token, 'POST', '/admin/users/hana/reset-link')).statusCode, 409, 'no address to mail');
  t.equal((await adminCall(admin, token, 'PUT', '/admin/users/nobody/email', { email: 'n@example.com' })).statusCode, 404);
});

t.test('the CLI sets an address and queues a verification mail, which the serving instance sends', async (t) => {
  const smtp = await startSmtp(t);
  const prefix = redis.prefix();
  const clientsFile = join(await tempDir(t), 'clients.json');
  await writeFile(clientsFile, JSON.stringify([...SERVICE_CLIENTS, OPS_CLIENT]));
  const env = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix, CLIENTS_FILE: clientsFile, MAIL_TRANSPORT: 'smtp', SMTP_URL: `smtp://127.0.0.1:${smtp.port}` };
  await buildAdminTestApp(t, 'redis', { redis: { ...redis, prefix: () => prefix }, clock: realClock(), config: { mail: smtp.mailConfig() } });
  t.equal((await cli(['users', 'add', 'ivo'], env, 'long enough\n')).code, 0);
  const set = await cli(['users', 'email', 'ivo', 'ivo@example.com', '--json'], env);
  t.equal(set.code, 0, set.err);
  t.same([JSON.parse(set.out).email, JSON.parse(set.out).email_verified], ['ivo@example.com', false]);
  t.equal((await cli(['users', 'send-verification', 'ivo'], env)).code, 0);
  await smtp.next('ivo@example.com');
  t.ok(await eventually(async () => (await cli(['users', 'mails', 'ivo'], env)).out.includes(' sent '), 5000, 200), '`users mails` shows it sent');
  const verified = await cli(['users', 'verify-email', 'ivo', '--json'], env);
  t.equal(JSON.parse(verified.out).email_verified, true);
  const listed = await cli(['users', 'list'], env);
  t.match(listed.out, /ivo@example\.com \(verified\)/);
  const cleared = await cli(['users', 'clear-email', 'ivo', '--json'], env);
  t.equal(JSON.parse(cleared.out).email, null);
  const bad = await cli(['users', 'email', 'ivo', 'nope'], env);
  t.equal(bad.code, 1);
  t.match(bad.err, /email must be an email address/);
});
