import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import en, { type MailKind } from './locales/en.js';

/** The values each mail's template may use. */
export const MAIL_PLACEHOLDERS: Readonly<Record<MailKind, readonly string[]>> = {
  verify_email: ['service', 'username', 'address', 'link', 'expires'],
  reset_password: ['service', 'username', 'link', 'expires'],
  password_changed: ['service', 'username', 'how', 'when'],
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

/** The shipped mail: its text and HTML bodies made from the catalogue's words. */
function shipped(kind: MailKind, values: Readonly<Record<string, string>>): RenderedMail {
  const words = en[kind];
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
<html lang="en">
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

  constructor(dir: string | undefined) {
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

  /** Renders a mail with its values (every placeholder of its kind). */
  render(kind: MailKind, values: Readonly<Record<string, string>>): RenderedMail {
    const mail = shipped(kind, values);
    const override = (part: Part) => this.#overrides.get(`${kind}.${part}`);
    return {
      subject: fill(override('subject') ?? mail.subject, values).replace(/[\r\n]+/g, ' '),
      text: override('txt') === undefined ? mail.text : fill(override('txt')!, values),
      html: override('html') === undefined ? mail.html : fill(override('html')!, values, escapeHtml),
    };
  }
}

/** Words of the catalogue that mails put into other mails' placeholders. */
export const MAIL_WORDS = { how: en.how, expires: en.expires };

/** A lifetime in the mails' words: minutes below two hours, else hours. */
export function lifetimeWords(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  return minutes < 120 ? fill(en.expires.minutes, { count: String(minutes) }) : fill(en.expires.hours, { count: String(Math.round(minutes / 60)) });
}
