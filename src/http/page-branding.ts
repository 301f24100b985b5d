import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { ConfigError } from '../errors.js';

/** The largest logo or operator stylesheet read (they are served from memory). */
const ASSET_MAX_BYTES = 256 * 1024;

/** The logo types a browser shows in an <img>, by file extension. */
const LOGO_TYPES: Readonly<Record<string, string>> = {
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
};

/** An asset the pages serve from memory: its bytes and content type. */
export interface PageAsset {
  body: Buffer;
  contentType: string;
}

/**
 * How an operator brands the hosted pages: the product's name (shown above every page and in its title), its logo
 * (served at LOGO_PATH) and a stylesheet of their own (served at OPERATOR_STYLESHEET_PATH, after the service's, so
 * its rules win). All served from this origin, so the pages' CSP stays `'self'`.
 */
export interface PageBranding {
  productName: string | undefined;
  logo: PageAsset | undefined;
  stylesheet: PageAsset | undefined;
}

/** Where the operator's logo is served. */
export const LOGO_PATH = '/assets/logo';

/** Where the operator's stylesheet is served. */
export const OPERATOR_STYLESHEET_PATH = '/assets/operator.css';

/** No branding: the pages as the service ships them. */
export const NO_BRANDING: PageBranding = { productName: undefined, logo: undefined, stylesheet: undefined };

async function asset(setting: string, path: string, contentType: string | undefined): Promise<PageAsset> {
  if (contentType === undefined) throw new ConfigError(setting, `${path}: expected a ${Object.keys(LOGO_TYPES).join(', ')} file`);
  let body: Buffer;
  try {
    body = await readFile(path);
  } catch (error) {
    throw new ConfigError(setting, `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (body.length > ASSET_MAX_BYTES) throw new ConfigError(setting, `${path} is larger than ${ASSET_MAX_BYTES / 1024} KiB`);
  return { body, contentType };
}

/** Reads the branding the settings name (PAGES_PRODUCT_NAME, PAGES_LOGO_FILE, PAGES_STYLESHEET_FILE); a file that cannot be read stops the start. */
export async function loadPageBranding(settings: {
  productName?: string | undefined;
  logoFile?: string | undefined;
  stylesheetFile?: string | undefined;
}): Promise<PageBranding> {
  return {
    productName: settings.productName,
    logo: settings.logoFile === undefined ? undefined : await asset('PAGES_LOGO_FILE', settings.logoFile, LOGO_TYPES[extname(settings.logoFile).toLowerCase()]),
    stylesheet: settings.stylesheetFile === undefined ? undefined : await asset('PAGES_STYLESHEET_FILE', settings.stylesheetFile, 'text/css; charset=utf-8'),
  };
}
