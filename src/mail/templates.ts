import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ConfigError } from '../errors.js';
import en, { type MailKind } from './locales/en.js';

/** The values each mail's template may use. */
export const MAIL_PLACEHOLDERS: Readonly<Record<MailKind, readonly string[]>> = {
  verify_email: ['service', 'username', 'address', 'link', 'expires'],
  change_email: ['service', 'username', 'address', 'link', 'expires'],
  email_changed: ['service', 'username', 'address', 'how', 'when'],
  reset_password: ['service', 'username', 'link', 'expires'],
  password_changed: ['service', 'username', 'how', 'when'],
  new_browser: ['service', 'username', 'when', 'ip', 'browser'],
  factor_added: ['service', 'username', 'factor', 'when'],
  factor_removed: ['service', 'username', 'factor', 'how', 'when'],
  few_recovery_codes: ['service', 'username', 'count'],
  provider_linked: ['service', 'username', 'provider', 'when'],
  provider_unlinked: ['service', 'username', 'provider', 'how', 'when'],
};

/** A rendered mail. */
export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** The parts of a mail an operator may replace, by file extension. */
type Part = 'subject' | 'txt' | 'html';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]!);
}

/** Fills `{name}` (the catalogue's) or `{{name}}` (an operator's file) placeholders; `escape` is applied to each value. */
function fill(template: string, values: Readonly<Record<string, string>>, escape: (text: string) => string = (text) => text): string {
  return template.replace(/\{\{?(\w+)\}?\}/g, (whole, name: string) => (name in values ? escape(values[name]!) : whole));
}

/** The mails' words: English, or a translation with the same keys (MAIL_LOCALE_FILE). */
export type MailWords = typeof en;

/** The `{name}` placeholders of a message. */
function placeholdersOf(message: string): string[] {
  return [...message.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!).sort();
}

/**
 * A translation of the mails' words from a JSON file with the English keys (`npm run cli -- mail-messages` prints
 * them), its language the file's name (`de.json`). A missing or unknown key, or a message that lost or gained a
 * placeholder, stops the start.
 */
function loadWords(file: string): { words: MailWords; lang: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new ConfigError('MAIL_LOCALE_FILE', `cannot read ${file} as JSON`);
  }
  const check = (english: Record<string, unknown>, translated: unknown, path: string): void => {
    if (typeof translated !== 'object' || translated === null) throw new ConfigError('MAIL_LOCALE_FILE', `${path || 'the file'} must be an object`);
    const given = translated as Record<string, unknown>;
    for (const key of Object.keys(given)) if (!(key in english)) throw new ConfigError('MAIL_LOCALE_FILE', `unknown key ${path}${key}`);
    for (const [key, value] of Object.entries(english)) {
      if (!(key in given)) throw new ConfigError('MAIL_LOCALE_FILE', `missing key ${path}${key}`);
      if (typeof value === 'string') {
        if (typeof given[key] !== 'string' || placeholdersOf(given[key]).join() !== placeholdersOf(value).join()) {
          throw new ConfigError(
            'MAIL_LOCALE_FILE',
            `${path}${key} must keep the placeholders of the English: ${
              placeholdersOf(value)
                .map((name) => `{${name}}`)
                .join(' ') || 'none'
            }`,
          );
        }
      } else check(value as Record<string, unknown>, given[key], `${path}${key}.`);
    }
  };
  check(en, parsed, '');
  return { words: parsed as MailWords, lang: basename(file).replace(/\.json$/i, '') };
}

/** The shipped mail: its text and HTML bodies made from the catalogue's words. */
function shipped(catalogue: MailWords, lang: string, kind: MailKind, values: Readonly<Record<string, string>>): RenderedMail {
  const words = catalogue[kind];
  const intro = fill(words.intro, values);
  const outro = fill(words.outro, values);
  const link = values.link;
  const signature = `— ${values.service}`;
  const text = [intro, ...(link === undefined ? [] : [link]), outro, signature].join('\n\n') + '\n';
  const paragraphs = (block: string) =>
    block
      .split('\n\n')
      .map((paragraph) => `<p>${escapeHtml(paragraph).replaceAll('\n', '<br>')}</p>`)
      .join('\n');
  const button =
    link === undefined
      ? ''
      : `<p><a href="${escapeHtml(link)}" style="display:inline-block;padding:10px 16px;background:#1d4ed8;color:#fff;text-decoration:none;border-radius:6px">${escapeHtml(words.action)}</a></p>
<p style="font-size:13px;color:#555">${escapeHtml(link)}</p>`;
  const html = `<!doctype html>
<html lang="${escapeHtml(lang)}">
<head><meta charset="utf-8"><title>${escapeHtml(fill(words.subject, values))}</title></head>
<body style="font-family:system-ui,sans-serif;line-height:1.5;color:#111;max-width:560px">
${paragraphs(intro)}
${button}
${paragraphs(outro)}
<p>${escapeHtml(signature)}</p>
</body>
</html>
`;
  return { subject: fill(words.subject, values), text, html };
}

/**
 * The mails' templates: the shipped words (locales/en.ts), each part replaceable by an operator's file in
 * MAIL_TEMPLATES_DIR named `<mail>.subject`, `<mail>.txt` or `<mail>.html`, with `{{name}}` placeholders (values are
 * HTML-escaped in `.html`). Read and checked once, at start: an unknown file or placeholder stops it.
 */
export class MailTemplates {
  readonly #overrides = new Map<string, string>();
  readonly #words: MailWords;
  readonly #lang: string;

  constructor(dir: string | undefined, localeFile?: string) {
    ({ words: this.#words, lang: this.#lang } = localeFile === undefined ? { words: en, lang: 'en' } : loadWords(localeFile));
    if (dir === undefined) return;
    let files: string[];
    try {
      files = readdirSync(dir);
    } catch {
      throw new ConfigError('MAIL_TEMPLATES_DIR', `cannot read the folder ${dir}`);
    }
    for (const file of files) {
      const match = /^(\w+)\.(subject|txt|html)$/.exec(file);
      const kind = match?.[1] as MailKind | undefined;
      if (!match || kind === undefined || !(kind in MAIL_PLACEHOLDERS)) {
        throw new ConfigError(
          'MAIL_TEMPLATES_DIR',
          `${file} is no template: expected <mail>.subject, .txt or .html, <mail> one of ${Object.keys(MAIL_PLACEHOLDERS).join(', ')}`,
        );
      }
      const content = readFileSync(join(dir, file), 'utf8');
      for (const [, name] of content.matchAll(/\{\{(\w+)\}\}/g)) {
        if (!MAIL_PLACEHOLDERS[kind].includes(name!)) {
          throw new ConfigError(
            'MAIL_TEMPLATES_DIR',
            `${file} uses {{${name}}}; ${kind} has ${MAIL_PLACEHOLDERS[kind].map((known) => `{{${known}}}`).join(', ')}`,
          );
        }
      }
      this.#overrides.set(`${kind}.${match[2] as Part}`, match[2] === 'subject' ? content.trim() : content);
    }
  }

  /** How a change came about, in the mails' words. */
  how(way: ChangeWay): string {
    return this.#words.how[way];
  }

  /** A second factor (or all of them), in the mails' words, as a sentence begins with it. */
  factor(kind: FactorKind): string {
    return this.#words.factors[kind];
  }

  /** A lifetime in the mails' words: minutes below two hours, else hours. */
  lifetime(seconds: number): string {
    const minutes = Math.round(seconds / 60);
    const { expires } = this.#words;
    return minutes < 120 ? fill(expires.minutes, { count: String(minutes) }) : fill(expires.hours, { count: String(Math.round(minutes / 60)) });
  }

  /** Renders a mail with its values (every placeholder of its kind). */
  render(kind: MailKind, values: Readonly<Record<string, string>>): RenderedMail {
    const mail = shipped(this.#words, this.#lang, kind, values);
    const override = (part: Part) => this.#overrides.get(`${kind}.${part}`);
    return {
      subject: fill(override('subject') ?? mail.subject, values).replace(/[\r\n]+/g, ' '),
      text: override('txt') === undefined ? mail.text : fill(override('txt')!, values),
      html: override('html') === undefined ? mail.html : fill(override('html')!, values, escapeHtml),
    };
  }
}

/** Which second factor a notice is about. */
export type FactorKind = keyof MailWords['factors'];

/** How a password or an address came to change, as a notice tells it. */
export type ChangeWay = keyof MailWords['how'];

/** The English catalogue, as `npm run cli -- mail-messages` prints it for a translation to start from. */
export const ENGLISH_MAIL_WORDS: MailWords = en;
