import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { escapeHtml, SafeHtml } from './html.js';
import en, { type MessageKey } from './locales/en.js';

/** A value for a message's placeholder: text (escaped) or markup the page built (SafeHtml). */
type Value = string | number | SafeHtml;

const PLACEHOLDER = /\{(\w+)\}/g;

/** The placeholders of a message, sorted: a translation must keep exactly those of the English one. */
const placeholdersOf = (message: string) => [...message.matchAll(PLACEHOLDER)].map((match) => match[1]!).sort();

/** The words of the pages in one language, each message falling back to English where the translation has none. */
export class PageText {
  constructor(
    /** The language tag, for `<html lang>`. */
    readonly lang: string,
    private readonly messages: Readonly<Partial<Record<MessageKey, string>>> = {},
  ) {}

  /** A message as markup: its words escaped, each `{placeholder}` replaced by its value (escaped unless SafeHtml). */
  html(key: MessageKey, values: Readonly<Record<string, Value>> = {}): SafeHtml {
    const message = this.messages[key] ?? en[key];
    let out = '';
    let last = 0;
    for (const match of message.matchAll(PLACEHOLDER)) {
      out += escapeHtml(message.slice(last, match.index));
      const value = values[match[1]!];
      out += value instanceof SafeHtml ? value.value : escapeHtml(String(value ?? ''));
      last = match.index + match[0].length;
    }
    return new SafeHtml(out + escapeHtml(message.slice(last)));
  }

  /** A message as plain text (for a title or an attribute, which html`` escapes), its placeholders filled. */
  text(key: MessageKey, values: Readonly<Record<string, string | number>> = {}): string {
    return (this.messages[key] ?? en[key]).replace(PLACEHOLDER, (_whole, name: string) => String(values[name] ?? ''));
  }
}

/** English, as shipped: the pages' words when no translation matches. */
export const ENGLISH = new PageText('en');

/** The languages the pages speak: English, and each translation of PAGES_LOCALES_DIR. */
export class PageLocales {
  readonly #byTag: ReadonlyMap<string, PageText>;

  constructor(translations: Iterable<PageText>) {
    this.#byTag = new Map([...translations].map((text) => [text.lang.toLowerCase(), text]));
  }

  /** The language tags served, English first. */
  get languages(): string[] {
    return ['en', ...[...this.#byTag.values()].map((text) => text.lang).filter((lang) => lang !== 'en')];
  }

  /**
   * The language to speak to a request: the first of `ui_locales` (OpenID Connect Core §3.1.2.1: the person's
   * preference, space-separated, most preferred first) that is served, else the best of Accept-Language (RFC 9110
   * §12.5.4: by q-value, q=0 refused), else English. A tag matches exactly, or by its primary language (`de-AT`
   * is served `de`).
   */
  pick(uiLocales: string | undefined, acceptLanguage: string | undefined): PageText {
    const wanted = [
      ...(uiLocales ?? '').split(' ').filter(Boolean),
      ...(acceptLanguage ?? '')
        .split(',')
        .map((part, index) => {
          const [tag, ...params] = part.trim().split(';');
          const q = params.map((param) => /^\s*q=([0-9.]+)\s*$/.exec(param)?.[1]).find((value) => value !== undefined);
          return { tag: tag!.trim(), q: q === undefined ? 1 : Number(q), index };
        })
        .filter((entry) => entry.tag !== '' && entry.tag !== '*' && entry.q > 0)
        .sort((a, b) => b.q - a.q || a.index - b.index)
        .map((entry) => entry.tag),
    ];
    for (const tag of wanted) {
      const lower = tag.toLowerCase();
      if (lower === 'en' || lower.startsWith('en-')) return this.#byTag.get(lower) ?? ENGLISH;
      const found = this.#byTag.get(lower) ?? this.#byTag.get(lower.split('-')[0]!);
      if (found !== undefined) return found;
    }
    return ENGLISH;
  }
}

/** English alone. */
export const ENGLISH_ONLY = new PageLocales([]);

/**
 * Reads the translations of PAGES_LOCALES_DIR: each `<tag>.json` an object of English's keys to strings that keep
 * each English placeholder. A file that breaks these rules stops the start, naming the file and the key.
 */
export async function loadPageLocales(dir: string | undefined): Promise<PageLocales> {
  if (dir === undefined) return ENGLISH_ONLY;
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
  } catch (error) {
    throw new ConfigError('PAGES_LOCALES_DIR', `cannot read ${dir} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const translations: PageText[] = [];
  for (const name of names) {
    const tag = name.slice(0, -'.json'.length);
    if (!/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(tag))
      throw new ConfigError('PAGES_LOCALES_DIR', `${name}: the file name must be a language tag (de.json, pt-BR.json)`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(join(dir, name), 'utf8'));
    } catch {
      throw new ConfigError('PAGES_LOCALES_DIR', `${name} is not valid JSON`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new ConfigError('PAGES_LOCALES_DIR', `${name}: expected an object of messages`);
    for (const [key, message] of Object.entries(parsed)) {
      if (!(key in en)) throw new ConfigError('PAGES_LOCALES_DIR', `${name}: unknown message ${key}`);
      if (typeof message !== 'string') throw new ConfigError('PAGES_LOCALES_DIR', `${name}: ${key} must be a string`);
      const expected = placeholdersOf(en[key as MessageKey]);
      if (placeholdersOf(message).join() !== expected.join()) {
        throw new ConfigError('PAGES_LOCALES_DIR', `${name}: ${key} must keep the placeholders ${expected.map((p) => `{${p}}`).join(' ') || '(none)'}`);
      }
    }
    translations.push(new PageText(tag, parsed as Partial<Record<MessageKey, string>>));
  }
  return new PageLocales(translations);
}
