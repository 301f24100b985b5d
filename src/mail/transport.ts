import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { FastifyBaseLogger } from 'fastify';
import type { MailConfig } from '../config.js';
import { ConfigError } from '../errors.js';

/** One mail to send. */
export interface OutgoingMail {
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Where mail leaves the service: sends one mail, or throws why it could not. */
export interface MailTransport {
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/** Seconds an SMTP server may take to connect, to greet, and between two replies, before a try fails (and is retried). */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

/**
 * SMTP through nodemailer: `smtps://` is TLS from the start; `smtp://` upgrades with STARTTLS whenever the server offers
 * it (nodemailer's default). Credentials come from the URL or from SMTP_USER and SMTP_PASSWORD. One connection per mail:
 * the outbox sends few, and a pooled connection the server dropped would fail the next one.
 */
function smtpTransport(transport: Extract<MailConfig['transport'], { kind: 'smtp' }>, from: string): MailTransport {
  const url = new URL(transport.url);
  const user = transport.user ?? (url.username === '' ? undefined : decodeURIComponent(url.username));
  const pass = transport.password ?? (url.password === '' ? undefined : decodeURIComponent(url.password));
  const secure = url.protocol === 'smtps:';
  // The server's certificate is always verified: against the system's authorities, and SMTP_CA_FILE's beside them.
  const ca = transport.caFile === undefined ? undefined : [...rootCertificates, readCaFile(transport.caFile)];
  const sender = nodemailer.createTransport({
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? (secure ? 465 : 587) : Number(url.port),
    secure,
    ...(user === undefined ? {} : { auth: { user, pass: pass ?? '' } }),
    ...SMTP_TIMEOUTS,
    ...(ca === undefined ? {} : { tls: { ca } }),
  });
  return {
    async send(mail) {
      await sender.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html, messageId: `<${mail.id}@${url.hostname}>` });
    },
    close: () => sender.close(),
  };
}

/** SMTP_CA_FILE's PEM, read once at start; a file that cannot be read stops the start, naming the variable. */
function readCaFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError('SMTP_CA_FILE', `cannot read ${file}`);
  }
}

/**
 * Development mail: each mail written to a folder as an `.eml` file (any mail program opens it) and its links logged,
 * so a person trying the service follows them from the terminal. Never in production (config.ts refuses it there).
 */
function folderTransport(dir: string, from: string, logger: FastifyBaseLogger): MailTransport {
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(mail) {
      const info = await composer.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html });
      await mkdir(dir, { recursive: true });
      const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${mail.id}.eml`);
      await writeFile(file, info.message as Buffer);
      const links = mail.text.match(/https?:\/\/\S+/g) ?? [];
      logger.info({ to: mail.to, subject: mail.subject, file, links }, 'mail written to MAIL_FOLDER (development transport)');
    },
    close: () => composer.close(),
  };
}

/** The transport MAIL_TRANSPORT names, or undefined for `off`. */
export function openMailTransport(config: MailConfig, logger: FastifyBaseLogger): MailTransport | undefined {
  const { transport } = config;
  if (transport.kind === 'smtp') return smtpTransport(transport, config.from);
  if (transport.kind === 'folder') return folderTransport(transport.dir, config.from, logger);
  return undefined;
}
