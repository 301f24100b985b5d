import { hash } from 'node:crypto';
import type { AuditContext, AuditLog } from '../audit/audit-log.js';
import type { Config } from '../config.js';
import type { ChangeWay, FactorKind } from '../mail/templates.js';
import type { Mailer } from '../mail/mailer.js';
import { oauthError, ServiceError } from '../errors.js';
import type { RequestOrigin } from '../request-origin.js';
import type { EmailLinkPurpose, EmailLinkRecord, EmailLinkStore, KnownBrowserStore, RateLimitStore, UserEmail, UserRecord } from '../store/types.js';
import { generateSecret, hashSecret } from '../tokens/secret.js';
import { emailKeyOf } from '../users/email-address.js';
import type { UserService } from '../users/user-service.js';

/** Where each link leads, under the issuer. */
export const EMAIL_LINK_PATHS: Readonly<Record<EmailLinkPurpose, string>> = {
  verify_email: '/verify-email',
  change_email: '/verify-email',
  reset_password: '/reset-password',
};

/** The links that confirm an address (the account's own, or a new one): one page, /verify-email, follows both. */
export const ADDRESS_LINKS: readonly EmailLinkPurpose[] = ['verify_email', 'change_email'];

const HOUR_MS = 3_600_000;
/** How long a browser stays known to an account after its last sign-in: what browsers keep a cookie at most (400 days). */
const KNOWN_BROWSER_MS = 400 * 86_400_000;
/** The longest User-Agent a notice quotes. */
const BROWSER_WORDS_MAX = 160;

/** Why a link is refused, each shown as its own clear page. */
export type LinkRefusal = 'unknown' | 'account_gone' | 'address_changed' | 'address_taken' | 'password_changed';

/** What a link stands for once checked: the live user and the record; or why it is refused. */
export type LinkCheck = { ok: true; user: UserRecord; link: EmailLinkRecord } | { ok: false; refusal: LinkRefusal };

/** How a password came to change, as the notice tells it. */
export type PasswordChangeWay = ChangeWay;

/** What the account's mails work with. */
export interface AccountMailDependencies {
  users: UserService;
  links: EmailLinkStore;
  mailer: Mailer;
  /** Counts mails per account (the store's rate-limit counters), so no one can flood an inbox. */
  counters: RateLimitStore;
  audit: AuditLog;
  config: Pick<Config, 'issuer' | 'email' | 'pages' | 'rateLimits' | 'mail'>;
  /** The browsers each account signed in from, for the new-browser notice. */
  knownBrowsers: KnownBrowserStore;
  clock: () => number;
  /** Reports a failure of work done after the answer (a reset request's lookup and mail). */
  onBackgroundError: (error: unknown) => void;
}

/** A fingerprint of a password hash: a reset link made under one is void under any other (any route changes the hash). */
export function passwordStamp(passwordHash: string): string {
  return hash('sha256', passwordHash, 'base64url').slice(0, 22);
}

/**
 * The mails of an account and the links in them: verification of the address, password reset, and the security
 * notices. A link's secret is 256 random bits, mailed once and stored only as its hash; it is single-use and expires
 * (EMAIL_VERIFICATION_TTL, PASSWORD_RESET_TTL). A reset link is void once the password changes by any route.
 */
export class AccountMail {
  constructor(private readonly deps: AccountMailDependencies) {}

  /** Whether mail leaves at all (MAIL_TRANSPORT is not off): the flows that need it are offered only then. */
  get enabled(): boolean {
    return this.deps.mailer.enabled;
  }

  /** Mails a verification link to the user's address, unless it has none, is verified, or had its hourly share. */
  async sendVerification(user: UserRecord): Promise<boolean> {
    if (!this.enabled || !user.email || user.email.verified || !(await this.#withinShare('verify_email', user.id))) return false;
    const link = await this.#link('verify_email', user, user.email.address, this.deps.config.email.verificationTtl);
    const values = {
      ...this.#common(user),
      address: user.email.address,
      link,
      expires: this.deps.mailer.templates.lifetime(this.deps.config.email.verificationTtl),
    };
    return (await this.deps.mailer.queue('verify_email', user.email.address, values, user.id)) !== undefined;
  }

  /**
   * Mails a reset link to each account a person may mean by `login` (a username or an address) that has an address,
   * within each account's hourly share. Runs after the answer, which is the same whatever it finds (the page says a
   * mail is on its way if an account exists), so neither the answer nor its timing tells whether one does.
   */
  requestReset(login: string, context: AuditContext): void {
    this.#sendResets(login, context).catch(this.deps.onBackgroundError);
  }

  /** Mails a reset link to a user's address (an operator's request too); false without an address or past the share. */
  async sendReset(user: UserRecord): Promise<boolean> {
    if (!this.enabled || !user.email || !(await this.#withinShare('reset_password', user.id))) return false;
    const link = await this.#link('reset_password', user, user.email.address, this.deps.config.email.resetTtl);
    const values = { ...this.#common(user), link, expires: this.deps.mailer.templates.lifetime(this.deps.config.email.resetTtl) };
    return (await this.deps.mailer.queue('reset_password', user.email.address, values, user.id)) !== undefined;
  }

  /**
   * Mails a link to a new address that makes it the account's once followed; the account keeps its address until then.
   * The caller has checked who asks (the current password). email_taken when the address is another account's.
   */
  async sendEmailChange(user: UserRecord, next: UserEmail): Promise<boolean> {
    const owner = await this.deps.users.findByEmailKey(next.key);
    if (owner && owner.id !== user.id) throw oauthError('email_taken', 'that email address belongs to another account');
    if (!this.enabled || !(await this.#withinShare('change_email', user.id))) return false;
    const link = await this.#link('change_email', user, next.address, this.deps.config.email.verificationTtl);
    const values = { ...this.#common(user), address: next.address, link, expires: this.deps.mailer.templates.lifetime(this.deps.config.email.verificationTtl) };
    return (await this.deps.mailer.queue('change_email', next.address, values, user.id)) !== undefined;
  }

  /** What a link stands for, without spending it (its page shows a form first, which a mail scanner's GET never submits). */
  async check(secret: string, purposes: EmailLinkPurpose | readonly EmailLinkPurpose[]): Promise<LinkCheck> {
    return this.#judge(await this.deps.links.peek(hashSecret(secret)), ([] as EmailLinkPurpose[]).concat(purposes));
  }

  /** Spends a link, once: its check again, at the moment it is taken. */
  async take(secret: string, purposes: EmailLinkPurpose | readonly EmailLinkPurpose[]): Promise<LinkCheck> {
    const checked = await this.check(secret, purposes);
    if (!checked.ok) return checked;
    return this.#judge(await this.deps.links.take(hashSecret(secret)), ([] as EmailLinkPurpose[]).concat(purposes));
  }

  /**
   * Follows an address link. A verification link verifies the address it was mailed to, if it is still the account's;
   * an address-change link makes its address the account's, verified, unless another account took it meanwhile, and
   * the previous address is told.
   */
  async verify(secret: string, context: AuditContext): Promise<LinkCheck> {
    const taken = await this.take(secret, ADDRESS_LINKS);
    if (!taken.ok) return taken;
    const { user, link } = taken;
    const known = { ...context, user_id: user.id };
    if (link.purpose === 'verify_email') {
      if (!(await this.deps.users.markEmailVerified(user.id, emailKeyOf(link.address)))) return { ok: false, refusal: 'address_changed' };
      this.deps.audit.emit({ event: 'email_verified', address: link.address, ...known });
      return taken;
    }
    let changed;
    try {
      changed = await this.deps.users.setEmail(user.id, link.address, true);
    } catch (error) {
      if (error instanceof ServiceError && error.code === 'email_taken') return { ok: false, refusal: 'address_taken' };
      throw error;
    }
    if (!changed) return { ok: false, refusal: 'account_gone' };
    this.deps.audit.emit({ event: 'email_changed', address: link.address, ...known });
    await this.emailChanged(user, link.address, 'by_owner');
    return { ok: true, user: changed, link };
  }

  /** Tells the previous address of an account that its address is now `next` (nothing when it had none, or the same). */
  async emailChanged(before: UserRecord, next: string | undefined, way: PasswordChangeWay): Promise<void> {
    if (!before.email || (next !== undefined && emailKeyOf(next) === before.email.key)) return;
    const values = { ...this.#common(before), address: next ?? '—', how: this.deps.mailer.templates.how(way), when: this.#now() };
    await this.deps.mailer.queue('email_changed', before.email.address, values, before.id);
  }

  /** Tells the owner that their password changed, and how (a security notice; nothing when they have no address). */
  async passwordChanged(user: UserRecord, way: PasswordChangeWay): Promise<void> {
    if (!user.email) return;
    await this.deps.mailer.queue(
      'password_changed',
      user.email.address,
      { ...this.#common(user), how: this.deps.mailer.templates.how(way), when: this.#now() },
      user.id,
    );
  }

  /**
   * Remembers the browser (the secret of its long-lived browser cookie) an account just signed in from; with
   * MAIL_NEW_BROWSER_NOTICE, a browser new to the account is told to its address, with when, where and which. `notify`
   * false remembers only (the browser an account was registered from is no news to it).
   */
  async signedInFrom(user: UserRecord, browserSecret: string, origin: RequestOrigin, notify = true): Promise<void> {
    if (!this.enabled || !this.deps.config.mail.newBrowserNotice) return;
    const isNew = await this.deps.knownBrowsers.remember(user.id, hashSecret(browserSecret), KNOWN_BROWSER_MS);
    if (!isNew || !notify || !user.email) return;
    const browser = origin.userAgent === '' ? '—' : origin.userAgent.slice(0, BROWSER_WORDS_MAX);
    await this.deps.mailer.queue('new_browser', user.email.address, { ...this.#common(user), when: this.#now(), ip: origin.ip, browser }, user.id);
  }

  /** Tells the owner about their second factors: one added, all removed (and how), or few recovery codes left. */
  async secondFactor(
    user: UserRecord,
    what: 'factor_added' | 'factor_removed' | 'few_recovery_codes',
    detail: { way?: PasswordChangeWay; left?: number; factor?: FactorKind } = {},
  ): Promise<void> {
    if (!user.email) return;
    const values = {
      ...this.#common(user),
      factor: this.deps.mailer.templates.factor(detail.factor ?? 'totp'),
      when: this.#now(),
      how: this.deps.mailer.templates.how(detail.way ?? 'by_owner'),
      count: String(detail.left ?? 0),
    };
    await this.deps.mailer.queue(what, user.email.address, values, user.id);
  }

  /** Tells the owner that an upstream provider now signs their account in, or no longer does (and how). */
  async providerLink(user: UserRecord, what: 'provider_linked' | 'provider_unlinked', provider: string, way: PasswordChangeWay = 'by_owner'): Promise<void> {
    if (!user.email) return;
    const values = { ...this.#common(user), provider, how: this.deps.mailer.templates.how(way), when: this.#now() };
    await this.deps.mailer.queue(what, user.email.address, values, user.id);
  }

  /** A user's latest mails and their state (never their bodies). */
  mailsOf(userId: string) {
    return this.deps.mailer.listForUser(userId);
  }

  async #sendResets(login: string, context: AuditContext): Promise<void> {
    for (const user of await this.deps.users.findByLogin(login)) {
      const sent = await this.sendReset(user);
      this.deps.audit.emit({ event: 'password_reset_requested', sent, ...context, user_id: user.id });
    }
  }

  /** A link's record judged for a use: its purpose, a live account, the address still the account's, the password unchanged. */
  async #judge(link: EmailLinkRecord | undefined, purposes: readonly EmailLinkPurpose[]): Promise<LinkCheck> {
    if (!link || !purposes.includes(link.purpose)) return { ok: false, refusal: 'unknown' };
    const user = await this.deps.users.findActive(link.userId);
    if (!user) return { ok: false, refusal: 'account_gone' };
    if (passwordStamp(user.passwordHash) !== link.passwordStamp) return { ok: false, refusal: 'password_changed' };
    if (link.purpose === 'verify_email' && user.email?.key !== emailKeyOf(link.address)) return { ok: false, refusal: 'address_changed' };
    return { ok: true, user, link };
  }

  /** Now, as the mails write it: `2026-12-07 19:30 UTC`. */
  #now(): string {
    return `${new Date(this.deps.clock()).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  }

  /** Makes a link's secret, stores its hash with what it stands for, and answers the URL that carries it. */
  async #link(purpose: EmailLinkPurpose, user: UserRecord, address: string, ttlSeconds: number): Promise<string> {
    const secret = generateSecret();
    const record: EmailLinkRecord = {
      purpose,
      userId: user.id,
      address,
      passwordStamp: passwordStamp(user.passwordHash),
      createdAt: Math.floor(this.deps.clock() / 1000),
    };
    await this.deps.links.create(hashSecret(secret), record, ttlSeconds * 1000);
    return `${this.deps.config.issuer}${EMAIL_LINK_PATHS[purpose]}?${new URLSearchParams({ token: secret })}`;
  }

  /** Whether the account may get one more mail of this kind this hour (RATE_LIMIT_RESET_ACCOUNT). */
  async #withinShare(purpose: EmailLinkPurpose, userId: string): Promise<boolean> {
    const { current } = await this.deps.counters.hit(`mail:${purpose}:${userId}`, HOUR_MS);
    return current <= this.deps.config.rateLimits.resetPerAccount;
  }

  #common(user: UserRecord) {
    return { service: this.deps.config.pages.productName ?? new URL(this.deps.config.issuer).host, username: user.username };
  }
}
