import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from './config.js';

/**
 * Paths pino blanks out in every log line. The request log never writes headers or bodies in the
 * first place; this list is the second line of defence for anything logged by mistake.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'body',
  'password',
  'client_secret',
  'access_token',
  'refresh_token',
  'token',
  '*.password',
  '*.new_password',
  '*.current_password',
  '*.client_secret',
  '*.access_token',
  '*.refresh_token',
  '*.token',
];

/** The service's pino logger: JSON lines, secrets redacted. */
export function createLogger(level: Config['logLevel'], destination?: DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, destination);
}
