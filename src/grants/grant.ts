import type { Client, GrantType } from '../clients/client.js';
import type { Config } from '../config.js';
import type { SessionService } from '../sessions/session-service.js';
import type { SessionRecord, Store } from '../store/types.js';
import type { AccessTokenIssuer } from '../tokens/access-token.js';
import type { UserService } from '../users/user-service.js';

/** A JSON Schema for one string parameter of the token request. */
export interface ParameterSchema {
  type: 'string';
  maxLength: number;
  description: string;
}

/** The token request's parameters, after schema validation. */
export type TokenParams = Readonly<Record<string, string | undefined>>;

/** Who is asking, besides the client. */
export interface RequestOrigin {
  ip: string;
  userAgent: string;
}

/** What grants need from the rest of the service. */
export interface GrantServices {
  config: Config;
  store: Store;
  users: UserService;
  sessions: SessionService;
  accessTokens: AccessTokenIssuer;
  clock: () => number;
}

/** The successful token response (RFC 6749 §5.1). */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
}

/** What a grant produced: the token response, and the session it belongs to (for cookie delivery). */
export interface GrantResult {
  response: TokenResponse;
  session?: SessionRecord;
}

/** One grant type: its parameters and its handler, as node-oidc-provider keeps one file per grant. */
export interface Grant {
  type: GrantType;
  /** Parameters this grant reads, beyond grant_type and client authentication. */
  parameters: Readonly<Record<string, ParameterSchema>>;
  /** Those of them that must be present. */
  required: readonly string[];
  handle(params: TokenParams, client: Client, origin: RequestOrigin, services: GrantServices): Promise<GrantResult>;
}
