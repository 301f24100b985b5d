import { VERSIONED_SET_SCRIPTS } from './versioned-set.js';
import { CODE_SCRIPTS } from './codes.js';
import { DEVICE_AUTHORIZATION_SCRIPTS } from './device-authorizations.js';
import { PUSHED_REQUEST_SCRIPTS } from './pushed-requests.js';
import { LIMIT_SCRIPTS } from './limits.js';
import { RECORD_SCRIPTS } from './lua.js';
import { REVOCATION_LOG_SCRIPTS } from './revocation-log.js';
import { SESSION_SCRIPTS } from './sessions.js';
import { SIGN_IN_SCRIPTS } from './sign-ins.js';
import { USER_SCRIPTS } from './users.js';
import { OUTBOX_SCRIPTS } from './outbox.js';
import { KNOWN_BROWSER_SCRIPTS } from './known-browsers.js';
import { MFA_SCRIPTS } from './mfa.js';
import { PASSKEY_SCRIPTS } from './passkeys.js';

/** Every Lua script of the Redis store, each a command of the store's client (connection.ts) under its name here. */
export const STORE_SCRIPTS = {
  ...RECORD_SCRIPTS,
  ...SESSION_SCRIPTS,
  ...USER_SCRIPTS,
  ...LIMIT_SCRIPTS,
  ...REVOCATION_LOG_SCRIPTS,
  ...SIGN_IN_SCRIPTS,
  ...CODE_SCRIPTS,
  ...DEVICE_AUTHORIZATION_SCRIPTS,
  ...PUSHED_REQUEST_SCRIPTS,
  ...VERSIONED_SET_SCRIPTS,
  ...OUTBOX_SCRIPTS,
  ...KNOWN_BROWSER_SCRIPTS,
  ...MFA_SCRIPTS,
  ...PASSKEY_SCRIPTS,
};
