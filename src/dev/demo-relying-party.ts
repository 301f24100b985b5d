import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { html, type SafeHtml } from '../http/html.js';
import { s256Challenge } from '../oidc/pkce.js';

/** The endpoints the demo reads from the issuer's discovery document (OpenID Connect Discovery 1.0 §3). */
interface ProviderMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  userinfo_endpoint: string;
  end_session_endpoint: string;
  jwks_uri: string;
}

/** A sign-in the demo started: what the callback checks (RFC 6749 §10.12 state, OIDC nonce, RFC 7636 verifier). */
interface Pending {
  nonce: string;
  verifier: string;
  startedAt: number;
}

/** How long a started sign-in may take before its state is forgotten. */
const PENDING_MS = 10 * 60_000;

const random = () => randomBytes(32).toString('base64url');

const STYLE = `body{font-family:system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem;line-height:1.5}
pre{background:#f4f5f7;padding:1rem;overflow-x:auto;border-radius:6px}a.button{display:inline-block;padding:.6rem 1rem;
background:#1f4fd1;color:#fff;border-radius:6px;text-decoration:none}`;

function page(response: ServerResponse, status: number, title: string, body: SafeHtml): void {
  const text = html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title}</title>
        <link rel="stylesheet" href="/style.css" />
      </head>
      <body>
        <main>
          <h1>${title}</h1>
          ${body}
        </main>
      </body>
    </html>`.value;
  response.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  response.end(text);
}

/**
 * A relying party for trying the browser sign-in on a development machine (`npm run dev`): a link starts the
 * authorization code flow with PKCE S256, state and nonce; the callback redeems the code, verifies the ID token
 * (signature from the JWKS, issuer, audience, nonce: OpenID Connect Core §3.1.3.7), calls UserInfo with the access
 * token and shows both. Public client, tokens kept for this one page only. Not for production: it holds nothing
 * between requests but the sign-ins it started.
 */
export async function startDemoRelyingParty(settings: {
  issuer: string;
  clientId: string;
  port: number;
  host: string;
}): Promise<{ url: string; close(): Promise<void> }> {
  const metadata = (await (await fetch(`${settings.issuer}/.well-known/openid-configuration`)).json()) as ProviderMetadata;
  const keys = createRemoteJWKSet(new URL(metadata.jwks_uri));
  // RFC 8252 §8.3: a loopback redirect URI names the loopback address, not "localhost".
  const url = `http://127.0.0.1:${settings.port}`;
  const redirectUri = `${url}/callback`;
  const pending = new Map<string, Pending>();

  const start = (response: ServerResponse) => {
    const now = Date.now();
    for (const [state, started] of pending) if (now - started.startedAt > PENDING_MS) pending.delete(state);
    const state = random();
    const started = { nonce: random(), verifier: random(), startedAt: now };
    pending.set(state, started);
    const authorize = new URL(metadata.authorization_endpoint);
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: settings.clientId,
      redirect_uri: redirectUri,
      scope: 'openid profile',
      state,
      nonce: started.nonce,
      code_challenge: s256Challenge(started.verifier),
      code_challenge_method: 'S256',
    }).toString();
    response.writeHead(302, { location: authorize.href, 'cache-control': 'no-store' });
    response.end();
  };

  const callback = async (query: URLSearchParams, response: ServerResponse) => {
    const state = query.get('state') ?? '';
    const started = pending.get(state);
    pending.delete(state);
    if (started === undefined)
      return page(
        response,
        400,
        'Sign-in failed',
        html`<p>Unknown or expired state: start again.</p>
          <p><a href="/">Back</a></p>`,
      );
    if (query.get('error') !== null) {
      return page(
        response,
        400,
        'Sign-in refused',
        html`<p>${query.get('error')}: ${query.get('error_description') ?? ''}</p>
          <p><a href="/">Back</a></p>`,
      );
    }
    // RFC 9207: the authorization response names its issuer; a response from another one is not this sign-in's.
    if (query.get('iss') !== null && query.get('iss') !== metadata.issuer)
      return page(response, 400, 'Sign-in failed', html`<p>The response came from another issuer.</p>`);
    const tokenResponse = await fetch(metadata.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: query.get('code') ?? '',
        redirect_uri: redirectUri,
        client_id: settings.clientId,
        code_verifier: started.verifier,
      }),
    });
    const tokens = (await tokenResponse.json()) as { access_token?: string; id_token?: string; error?: string; error_description?: string };
    if (!tokenResponse.ok || tokens.id_token === undefined || tokens.access_token === undefined) {
      return page(response, 400, 'Sign-in failed', html`<p>The token endpoint answered ${tokens.error}: ${tokens.error_description}</p>`);
    }
    const { payload: claims } = await jwtVerify(tokens.id_token, keys, { issuer: metadata.issuer, audience: settings.clientId });
    if (claims.nonce !== started.nonce) return page(response, 400, 'Sign-in failed', html`<p>The ID token's nonce is not this sign-in's.</p>`);
    const userinfo = await (await fetch(metadata.userinfo_endpoint, { headers: { authorization: `Bearer ${tokens.access_token}` } })).json();
    const signOut = new URL(metadata.end_session_endpoint);
    signOut.search = new URLSearchParams({ id_token_hint: tokens.id_token, post_logout_redirect_uri: `${url}/`, client_id: settings.clientId }).toString();
    page(
      response,
      200,
      'Signed in',
      html`<p>The service signed you in and this page redeemed the code. The ID token's claims, verified:</p>
        <pre id="id-token-claims">${JSON.stringify(claims, null, 2)}</pre>
        <p>What <code>/userinfo</code> answers for the access token:</p>
        <pre id="userinfo">${JSON.stringify(userinfo, null, 2)}</pre>
        <p><a class="button" href="${signOut.href}">Sign out</a> <a href="/">Start again</a></p>`,
    );
  };

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const requested = new URL(request.url ?? '/', url);
    const handle = async () => {
      if (requested.pathname === '/style.css') {
        response.writeHead(200, { 'content-type': 'text/css; charset=utf-8', 'x-content-type-options': 'nosniff' });
        return response.end(STYLE);
      }
      if (requested.pathname === '/login') return start(response);
      if (requested.pathname === '/callback') return callback(requested.searchParams, response);
      if (requested.pathname === '/') {
        return page(
          response,
          200,
          'tokensmith demo',
          html`<p>An application that signs people in through the tokensmith service at <code>${settings.issuer}</code>.</p>
            <p><a class="button" href="/login">Sign in with tokensmith</a></p>`,
        );
      }
      page(response, 404, 'Not found', html`<p><a href="/">Back</a></p>`);
    };
    handle().catch((error: unknown) => page(response, 500, 'Sign-in failed', html`<p>${(error as Error).message}</p>`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => resolve());
  });
  return { url, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
