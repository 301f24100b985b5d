/** The parts of node-oidc-provider the federation tests use (it ships no types). */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    /** Its request handler, for a server of one's own. */
    callback(): (request: IncomingMessage, response: ServerResponse) => Promise<void>;
  }
}
