import type { FastifyInstance } from 'fastify';
import { form } from './app.js';
import { basicAuth, SECRETS } from './clients.js';

/** A token response as the tests read it. */
export interface Tokens {
  status: number;
  body: Record<string, string>;
  headers: Record<string, unknown>;
}

/** POSTs form parameters to the token endpoint. */
export async function tokenRequest(app: FastifyInstance, params: Record<string, string>, headers: Record<string, string> = {}): Promise<Tokens> {
  const request = form(params);
  const response = await app.inject({ method: 'POST', url: '/oauth/token', payload: request.payload, headers: { ...request.headers, ...headers } });
  return { status: response.statusCode, body: response.json(), headers: response.headers };
}

/** A client_credentials access token of a confidential test client (by default `orders-svc`); throws unless issued. */
export async function serviceToken(app: FastifyInstance, clientId = 'orders-svc', secret: string = SECRETS.orders): Promise<string> {
  const response = await tokenRequest(app, { grant_type: 'client_credentials' }, { authorization: basicAuth(clientId, secret) });
  if (response.status !== 200) throw new Error(`client_credentials for ${clientId}: ${JSON.stringify(response.body)}`);
  return response.body.access_token!;
}

/** A password-grant request for the `web` client from a given address, with extra headers (X-Forwarded-For…). */
export function passwordLogin(app: FastifyInstance, username: string, password: string, remoteAddress = '127.0.0.1', headers: Record<string, string> = {}) {
  const request = form({ grant_type: 'password', client_id: 'web', username, password });
  return app.inject({ method: 'POST', url: '/oauth/token', remoteAddress, payload: request.payload, headers: { ...request.headers, ...headers } });
}

/** Registers a user and logs in with the password grant; returns the token response body. */
export async function registerAndLogin(app: FastifyInstance, username: string, clientId = 'web', password = 'long enough'): Promise<Record<string, string>> {
  const registered = await app.inject({ method: 'POST', url: '/account/register', payload: { username, password } });
  if (registered.statusCode !== 201 && registered.statusCode !== 409) throw new Error(`register: ${registered.body}`);
  const login = await tokenRequest(app, { grant_type: 'password', username, password, client_id: clientId });
  if (login.status !== 200) throw new Error(`login: ${JSON.stringify(login.body)}`);
  return login.body;
}

/** Refreshes with a refresh token in the body. */
export function refresh(app: FastifyInstance, refreshToken: string, clientId = 'web', extra: Record<string, string> = {}): Promise<Tokens> {
  return tokenRequest(app, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId, ...extra });
}

/** What introspection (RFC 7662), asked by the test clients' `gateway`, says of a token. */
export async function introspection(app: FastifyInstance, token: string): Promise<Record<string, unknown>> {
  const request = form({ token });
  const response = await app.inject({
    method: 'POST',
    url: '/oauth/introspect',
    payload: request.payload,
    headers: { ...request.headers, authorization: basicAuth('gateway', SECRETS.gateway) },
  });
  return response.json() as Record<string, unknown>;
}

/** Whether introspection finds an access token active. */
export async function introspectedActive(app: FastifyInstance, token: string): Promise<boolean> {
  return (await introspection(app, token)).active as boolean;
}
