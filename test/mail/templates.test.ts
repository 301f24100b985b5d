import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { ENGLISH_MAIL_WORDS, MailTemplates } from '../../src/mail/templates.js';
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

t.test('a translation is a file: every key of the English, every placeholder kept', async (t) => {
  const dir = await tempDir(t);
  const english = JSON.parse(JSON.stringify(ENGLISH_MAIL_WORDS)) as Record<string, Record<string, string>>;
  const german = structuredClone(english);
  german.verify_email!.subject = 'Bestätigen Sie Ihre E-Mail-Adresse für {service}';
  german.verify_email!.action = 'E-Mail-Adresse bestätigen';
  await writeFile(join(dir, 'de.json'), JSON.stringify(german));
  const mail = new MailTemplates(undefined, join(dir, 'de.json')).render('verify_email', VALUES);
  t.equal(mail.subject, 'Bestätigen Sie Ihre E-Mail-Adresse für Acme');
  t.match(mail.html, /<html lang="de">/);
  t.match(mail.html, />E-Mail-Adresse bestätigen</);

  const lost = structuredClone(english);
  lost.reset_password!.intro = 'Hallo, setzen Sie Ihr Passwort zurück:';
  await writeFile(join(dir, 'lost.json'), JSON.stringify(lost));
  t.throws(() => new MailTemplates(undefined, join(dir, 'lost.json')), {
    name: 'ConfigError',
    variable: 'MAIL_LOCALE_FILE',
    message: /reset_password\.intro must keep/,
  });
  const missing = structuredClone(english);
  delete missing.how!.by_reset;
  await writeFile(join(dir, 'missing.json'), JSON.stringify(missing));
  t.throws(() => new MailTemplates(undefined, join(dir, 'missing.json')), { message: /missing key how\.by_reset/ });
  await writeFile(join(dir, 'extra.json'), JSON.stringify({ ...english, typo: {} }));
  t.throws(() => new MailTemplates(undefined, join(dir, 'extra.json')), { message: /unknown key typo/ });
  await writeFile(join(dir, 'broken.json'), '{');
  t.throws(() => new MailTemplates(undefined, join(dir, 'broken.json')), { name: 'ConfigError', variable: 'MAIL_LOCALE_FILE' });
});
