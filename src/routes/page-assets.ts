import type { FastifyInstance, FastifyReply } from 'fastify';
import { LOGO_PATH, OPERATOR_STYLESHEET_PATH, type PageAsset } from '../http/page-branding.js';
import { STYLESHEET, STYLESHEET_PATH } from '../http/page-layout.js';
import { PUBLIC } from './schemas.js';
import { PASSKEY_SCRIPT, PASSKEY_SCRIPT_PATH } from '../http/passkey-script.js';

/** The service's own stylesheet, as served. */
const SERVICE_STYLESHEET: PageAsset = { body: Buffer.from(STYLESHEET), contentType: 'text/css; charset=utf-8' };

/** The passkey script, as served. */
const SERVICE_SCRIPT: PageAsset = { body: Buffer.from(PASSKEY_SCRIPT), contentType: 'text/javascript; charset=utf-8' };

/** Sends a page asset from memory, cacheable for an hour. */
function send(reply: FastifyReply, asset: PageAsset): FastifyReply {
  return reply.header('content-type', asset.contentType).header('cache-control', 'public, max-age=3600').send(asset.body);
}

/**
 * The hosted pages' own files, from this origin (so the pages' CSP stays `'self'`): the service's stylesheet and passkey script, and
 * the operator's logo and stylesheet when PAGES_LOGO_FILE and PAGES_STYLESHEET_FILE name them.
 */
export async function pageAssetRoutes(app: FastifyInstance): Promise<void> {
  const common = { tags: ['sign-in'], security: PUBLIC } as const;
  app.get(
    STYLESHEET_PATH,
    {
      schema: {
        ...common,
        summary: 'The pages\u2019 stylesheet',
        response: { 200: { description: 'CSS', content: { 'text/css': { schema: { type: 'string' } } } } },
      },
    },
    async (_request, reply) => send(reply, SERVICE_STYLESHEET),
  );
  app.get(
    PASSKEY_SCRIPT_PATH,
    {
      schema: {
        ...common,
        summary: 'The pages\u2019 passkey script',
        description: "The browser half of the passkey ceremonies: the only script the pages run (CSP `script-src 'self'`).",
        response: { 200: { description: 'JavaScript', content: { 'text/javascript': { schema: { type: 'string' } } } } },
      },
    },
    async (_request, reply) => send(reply, SERVICE_SCRIPT),
  );
  const { logo, stylesheet } = app.pageBranding;
  if (logo !== undefined) {
    app.get(
      LOGO_PATH,
      {
        schema: {
          ...common,
          summary: 'The operator\u2019s logo (PAGES_LOGO_FILE)',
          response: { 200: { description: 'The image', content: { [logo.contentType]: { schema: { type: 'string' } } } } },
        },
      },
      async (_request, reply) => send(reply, logo),
    );
  }
  if (stylesheet !== undefined) {
    app.get(
      OPERATOR_STYLESHEET_PATH,
      {
        schema: {
          ...common,
          summary: 'The operator\u2019s stylesheet (PAGES_STYLESHEET_FILE)',
          response: { 200: { description: 'CSS', content: { 'text/css': { schema: { type: 'string' } } } } },
        },
      },
      async (_request, reply) => send(reply, stylesheet),
    );
  }
}
