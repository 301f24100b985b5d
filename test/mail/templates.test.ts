import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { MailTemplates } from '../../src/mail/templates.js';
import { tempDir } from '../helpers/app.js';

const VALUES = {
  service: 'Acme',
  username: 'ann',
  address: 'ann@example.com',
  link: 'https://auth.example.com/verify-email?token=abc&x=<1>',
  expires: '24 hours',
};

t.test('the shipped mail: subject, a text body with the link, an HTML body with it escaped', async (t) => {
  const mail = new MailTemplates(undefined).render('verify_email', VALUES);
  t.equal(mail.subject, 'Confirm your email address for Acme');
  t.match(mail.text, /https:\/\/auth\.example\.com\/verify-email\?token=abc&x=<1>/);
  t.match(mail.html, /href="https:\/\/auth\.example\.com\/verify-email\?token=abc&amp;x=&lt;1&gt;"/);
  t.notMatch(mail.html, /<1>/, 'no value unescaped in HTML');
});

t.test("an operator's files replace parts by name; an unknown file or placeholder stops the start", async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'verify_email.subject'), 'Welcome to {{service}}\n');
  await writeFile(join(dir, 'verify_email.html'), '<p>Hi {{username}}, <a href="{{link}}">confirm</a></p>');
  const mail = new MailTemplates(dir).render('verify_email', { ...VALUES, username: '<b>ann</b>' });
  t.equal(mail.subject, 'Welcome to Acme');
  t.equal(mail.html, '<p>Hi &lt;b&gt;ann&lt;/b&gt;, <a href="https://auth.example.com/verify-email?token=abc&amp;x=&lt;1&gt;">confirm</a></p>');
  t.match(mail.text, /please confirm/, 'the text body not replaced stays the shipped one');

  const typo = await tempDir(t);
  await writeFile(join(typo, 'verify-email.txt'), 'x');
  t.throws(() => new MailTemplates(typo), { name: 'ConfigError', variable: 'MAIL_TEMPLATES_DIR' });
  const unknown = await tempDir(t);
  await writeFile(join(unknown, 'reset_password.txt'), 'Hi {{address}}');
  t.throws(() => new MailTemplates(unknown), { name: 'ConfigError', variable: 'MAIL_TEMPLATES_DIR', message: /reset_password has/ });
  await mkdir(join(unknown, 'x'));
  t.throws(() => new MailTemplates(join(unknown, 'missing')), { name: 'ConfigError', variable: 'MAIL_TEMPLATES_DIR' });
});

t.test('a subject never carries a line break into the headers', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'password_changed.subject'), 'Changed for {{username}}');
  const mail = new MailTemplates(dir).render('password_changed', { service: 'Acme', username: 'a\r\nBcc: evil@example.com', how: 'by you', when: 'now' });
  t.notMatch(mail.subject, /[\r\n]/);
});
