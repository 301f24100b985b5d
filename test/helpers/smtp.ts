import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { MailConfig } from '../../src/config.js';
import type { Teardown } from './app.js';
import { eventually } from './listen.js';

/** A real SMTP server (smtp-server) on a loopback port, keeping every mail it accepts, parsed (mailparser). */
export interface TestSmtp {
  port: number;
  /** Every mail accepted so far, in order. */
  readonly mails: ParsedMail[];
  /** The `mail` configuration that sends through it. */
  mailConfig(overrides?: Partial<MailConfig>): MailConfig;
  /** Waits until a mail to `to` arrives beyond the first `seen` ones to it; answers it. */
  next(to: string, seen?: number): Promise<ParsedMail>;
  /** Mails to `to` so far. */
  to(address: string): ParsedMail[];
  /** Stops listening (the server is "down"); `start` listens again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

/**
 * Starts a real SMTP server on 127.0.0.1, closed at teardown: no auth, a development relay; without `tls` it offers no
 * STARTTLS, with it it offers STARTTLS under that certificate. `secure` records, per mail, whether it came over TLS.
 */
export async function startSmtp(t: Teardown, tls?: { key: Buffer; cert: Buffer }): Promise<TestSmtp & { secure: boolean[] }> {
  const mails: ParsedMail[] = [];
  const secure: boolean[] = [];
  const make = () =>
    new SMTPServer({
      authOptional: true,
      ...(tls === undefined ? { disabledCommands: ['STARTTLS'] } : { key: tls.key, cert: tls.cert }),
      logger: false,
      onData(stream, session, callback) {
        simpleParser(stream).then(
          (mail) => {
            mails.push(mail);
            secure.push(session.secure);
            callback();
          },
          (error: Error) => callback(error),
        );
      },
    });
  let server = make();
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  const port = (server.server.address() as AddressInfo).port;
  let listening = true;
  const stop = async () => {
    if (!listening) return;
    listening = false;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  t.teardown(stop);
  const toAddress = (address: string) => mails.filter((mail) => mail.to !== undefined && JSON.stringify(mail.to).toLowerCase().includes(address.toLowerCase()));
  return {
    port,
    mails,
    secure,
    mailConfig: (overrides = {}) => ({
      transport: { kind: 'smtp', url: `smtp://127.0.0.1:${port}`, user: undefined, password: undefined, caFile: undefined },
      from: 'Tokensmith <no-reply@tokensmith.test>',
      templatesDir: undefined,
      localeFile: undefined,
      newBrowserNotice: false,
      retryDelayMs: 1000,
      maxAttempts: 15,
      ...overrides,
    }),
    to: toAddress,
    async next(to, seen = 0) {
      if (!(await eventually(() => toAddress(to).length > seen, 10_000, 25))) throw new Error(`no mail to ${to} arrived`);
      return toAddress(to)[seen]!;
    },
    stop,
    async start() {
      server = make();
      server.listen(port, '127.0.0.1');
      await once(server.server, 'listening');
      listening = true;
    },
  };
}

/** The one link of a mail's text body that leads to `path` on the service. */
export function linkIn(mail: ParsedMail, path: string): string {
  const link = (mail.text ?? '').match(/https?:\/\/\S+/g)?.find((candidate) => new URL(candidate).pathname === path);
  if (link === undefined) throw new Error(`no ${path} link in: ${mail.text}`);
  const url = new URL(link);
  return `${url.pathname}${url.search}`;
}
