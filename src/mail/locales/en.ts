/**
 * The mails' words in English, the language shipped. Each mail is a subject, the lines before its one link, the words
 * of its button and the lines after it; `{name}` marks where a value goes. The text and HTML bodies are both made from
 * these (templates.ts), unless an operator's templates replace them (MAIL_TEMPLATES_DIR).
 */
const en = {
  verify_email: {
    subject: 'Confirm your email address for {service}',
    intro: 'Hello {username},\n\nplease confirm that {address} is your email address for {service} by opening this link:',
    action: 'Confirm email address',
    outro: 'The link works for {expires}, once. If you did not ask for this, ignore this mail: nothing changes.',
  },
  change_email: {
    subject: 'Confirm your new email address for {service}',
    intro: 'Hello {username},\n\nplease confirm {address} as the new email address of your account at {service} by opening this link:',
    action: 'Confirm new address',
    outro: 'The link works for {expires}, once. Until then your account keeps its current address. If you did not ask for this, ignore this mail.',
  },
  email_changed: {
    subject: 'The email address of your {service} account was changed',
    intro:
      'Hello {username},\n\nthe email address of your account at {service} was changed to {address} {how} at {when}. Mail about your account goes there from now on.',
    action: '',
    outro: 'If this was not you, tell the operators of {service} at once.',
  },
  reset_password: {
    subject: 'Reset your password for {service}',
    intro: 'Hello {username},\n\nsomeone (we hope you) asked to reset the password of your account at {service}. To choose a new one, open this link:',
    action: 'Choose a new password',
    outro:
      'The link works for {expires}, once, and stops working if your password changes meanwhile. If you did not ask for this, ignore this mail: your password stays as it is.',
  },
  password_changed: {
    subject: 'Your password for {service} was changed',
    intro: 'Hello {username},\n\nthe password of your account at {service} was changed {how} at {when}. Every session of the account has ended.',
    action: '',
    outro: 'If this was not you, reset your password at once through "Forgot password?" on the sign-in page, and tell the operators of {service}.',
  },
  new_browser: {
    subject: 'A new sign-in to your {service} account',
    intro:
      'Hello {username},\n\nyour account at {service} was signed in to from a browser it had not used before, at {when}:\n\nBrowser: {browser}\nIP address: {ip}',
    action: '',
    outro:
      'If this was you, there is nothing to do. If not, change your password at once (or reset it through "Forgot password?"): that signs every browser out.',
  },
  factor_added: {
    subject: 'Two-step sign-in is on for your {service} account',
    intro:
      'Hello {username},\n\n{factor} was added to your account at {service} at {when}. Signing in with the password now asks for a second step, and every other browser was signed out.',
    action: '',
    outro: 'If this was not you, reset your password at once through "Forgot password?" on the sign-in page, and tell the operators of {service}.',
  },
  factor_removed: {
    subject: 'A second factor was removed from your {service} account',
    intro: 'Hello {username},\n\n{factor} was removed {how} from your account at {service}, at {when}.',
    action: '',
    outro: 'If this was not you, reset your password at once through "Forgot password?" on the sign-in page, and tell the operators of {service}.',
  },
  few_recovery_codes: {
    subject: 'Few recovery codes left for your {service} account',
    intro: 'Hello {username},\n\na recovery code of your account at {service} was just used: {count} are left.',
    action: '',
    outro: 'Make a new set on your account page (Two-step sign-in) while you can still sign in. If you did not use a code, change your password at once.',
  },
  provider_linked: {
    subject: 'A new way to sign in to your {service} account',
    intro: 'Hello {username},\n\nyour account at {service} can now be signed in to through {provider}: it was linked at {when}.',
    action: '',
    outro: 'If this was not you, unlink it on your account page, change your password at once, and tell the operators of {service}.',
  },
  provider_unlinked: {
    subject: 'A way to sign in to your {service} account was removed',
    intro: 'Hello {username},\n\n{provider} was unlinked {how} from your account at {service}, at {when}: it no longer signs you in.',
    action: '',
    outro: 'If this was not you, change your password at once and tell the operators of {service}.',
  },
  factors: {
    totp: 'An authenticator app',
    passkey: 'A passkey',
    all: 'Every second factor (authenticator app, passkeys, recovery codes)',
  },
  how: {
    by_owner: 'by you',
    by_reset: 'through a reset link',
    by_operator: 'by an operator',
  },
  expires: {
    minutes: '{count} minutes',
    hours: '{count} hours',
  },
} as const;

export default en;

/** A mail the service sends (its template's name). */
export type MailKind =
  | 'verify_email'
  | 'change_email'
  | 'email_changed'
  | 'reset_password'
  | 'password_changed'
  | 'new_browser'
  | 'factor_added'
  | 'factor_removed'
  | 'few_recovery_codes'
  | 'provider_linked'
  | 'provider_unlinked';
