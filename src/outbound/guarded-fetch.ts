import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import type { LookupFunction } from 'node:net';
import { mayConnect } from './address-policy.js';

/** Why a guarded fetch did not bring a document back; the message says it, never with the body. */
export class OutboundError extends Error {
  override name = 'OutboundError';
}

/** How far a guarded fetch may go. */
export interface GuardedFetchOptions {
  /** Whether loopback addresses may be reached (development only); private and link-local ones never are. */
  allowLoopback: boolean;
  /** The most bytes of body read; a longer one is refused. */
  maxBytes: number;
  /** Milliseconds for the whole exchange, connecting included. */
  timeoutMs: number;
  /** Extra trusted certificate authorities (PEM), beside the system's. */
  ca?: string | Buffer | undefined;
}

/** A document fetched: its body, its content type, and how long it may be kept (Cache-Control). */
export interface FetchedDocument {
  body: Buffer;
  contentType: string;
  /** Seconds the response may be reused by its Cache-Control (`max-age`; 0 for `no-store` or `no-cache`), or undefined when it says nothing. */
  maxAge: number | undefined;
}

/** What Cache-Control (RFC 9111 §5.2.2) lets a cache keep: 0 for no-store or no-cache, max-age otherwise. */
export function cacheMaxAge(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const directives = header
    .toLowerCase()
    .split(',')
    .map((directive) => directive.trim());
  if (directives.some((directive) => directive === 'no-store' || directive === 'no-cache')) return 0;
  const maxAge = directives.find((directive) => directive.startsWith('max-age='));
  const seconds = maxAge === undefined ? Number.NaN : Number(maxAge.slice('max-age='.length));
  return Number.isInteger(seconds) && seconds >= 0 ? seconds : undefined;
}

/**
 * A DNS lookup that answers only addresses the policy allows: a name with any forbidden address is refused whole, so
 * no answer can mix one in, and the connection goes to the address that was checked (no second resolution to rebind).
 */
function guardedLookup(allowLoopback: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const refused = addresses.find((entry) => !mayConnect(entry.address, allowLoopback));
      if (refused !== undefined || addresses.length === 0) {
        return callback(new OutboundError(`${hostname} resolves to an address the service does not connect to`), '', 0);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (error: null, all: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/**
 * GET of a URL a client named, guarded against server-side request forgery: https only; the host (an IP literal, or
 * every address its name resolves to) public, or loopback where allowed; no redirect followed; the body bounded in
 * bytes and the exchange in time. Answers the 200's document, or throws an OutboundError saying why not.
 */
export async function guardedFetch(target: string, options: GuardedFetchOptions): Promise<FetchedDocument> {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new OutboundError('not an absolute URL');
  }
  if (url.protocol !== 'https:') throw new OutboundError('only https URLs are fetched');
  if (url.username !== '' || url.password !== '') throw new OutboundError('a URL with credentials is not fetched');
  // The URL parser has already turned every IPv4 spelling (2130706433, 0x7f.1, 127.1) into a dotted quad.
  const literal = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (/^[\d.]+$|:/.test(literal) && !mayConnect(literal, options.allowLoopback)) {
    throw new OutboundError(`${url.hostname} is an address the service does not connect to`);
  }
  return new Promise<FetchedDocument>((resolve, reject) => {
    const request = httpsRequest(
      url,
      {
        method: 'GET',
        headers: { accept: 'application/json' },
        lookup: guardedLookup(options.allowLoopback),
        agent: false,
        signal: AbortSignal.timeout(options.timeoutMs),
        // Beside the system's authorities, not instead of them.
        ...(options.ca === undefined ? {} : { ca: [...rootCertificates, options.ca] }),
      },
      (response) => {
        const status = response.statusCode ?? 0;
        if (status >= 300 && status < 400) {
          response.destroy();
          return reject(new OutboundError('the URL answered with a redirect, which is not followed'));
        }
        if (status !== 200) {
          response.destroy();
          return reject(new OutboundError(`the URL answered ${status}`));
        }
        const chunks: Buffer[] = [];
        let length = 0;
        response.on('data', (chunk: Buffer) => {
          length += chunk.length;
          if (length > options.maxBytes) {
            response.destroy();
            reject(new OutboundError(`the document is longer than ${options.maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () =>
          resolve({
            body: Buffer.concat(chunks),
            contentType: response.headers['content-type'] ?? '',
            maxAge: cacheMaxAge(response.headers['cache-control']),
          }),
        );
        response.on('error', (error) => reject(error instanceof OutboundError ? error : new OutboundError(`the response failed: ${error.message}`)));
      },
    );
    request.on('error', (error) => {
      if (error instanceof OutboundError) return reject(error);
      const timedOut = error.name === 'AbortError' || error.name === 'TimeoutError';
      reject(new OutboundError(timedOut ? `no answer within ${options.timeoutMs} ms` : `the request failed: ${error.message}`));
    });
    request.end();
  });
}
