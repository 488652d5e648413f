import {
  ApiError,
  describeError,
  toApiError,
  type Api,
  type Credentials,
  type CurrentUser,
  type EmailConfirmation,
  type LoginProof,
  type LoginResult,
} from './api';
import { AppForms } from './app-forms.svelte';
import type { Navigator } from './router.svelte';
import { isPrivate, matchRoute, paths, type AuthState } from './routes';

/**
 * What the user typed into the account forms. It lives here rather than in
 * the views so it survives view switches, for instance when a 401 sends the
 * user to the login page in the middle of something.
 * It is kept in memory only, never written to storage.
 */
export class FormStore {
  login: Credentials = $state({ email: '', password: '' });
  register: Credentials = $state({ email: '', password: '' });
  forgotPassword: { email: string } = $state({ email: '' });
  resetPassword: { password: string } = $state({ password: '' });
  /**
   * The passwordless sign-in: `sent` is the server's answer once the email went out,
   * which puts the form at its second step (typing the code).
   */
  emailLogin: EmailLoginForm = $state(emptyEmailLogin());
  /**
   * Confirming a password account's address: the address, the code typed, and the password,
   * carried over from registration or the login page so it need not be typed again.
   */
  confirmEmail: ConfirmEmailForm = $state(emptyConfirmEmail());
  /** Workspaces, chat drafts, history filters: the signed-in part of the app. */
  readonly app = new AppForms();

  /** Copies the email typed on the login page into another form that has none yet. */
  prefillEmail(form: 'forgotPassword' | 'emailLogin'): void {
    if (this[form].email === '') this[form].email = this.login.email;
  }

  clearPasswords(): void {
    this.login.password = '';
    this.register.password = '';
    this.resetPassword.password = '';
    this.confirmEmail.password = '';
  }

  clear(): void {
    this.login = { email: '', password: '' };
    this.register = { email: '', password: '' };
    this.forgotPassword = { email: '' };
    this.resetPassword = { password: '' };
    this.emailLogin = emptyEmailLogin();
    this.confirmEmail = emptyConfirmEmail();
    this.app.clear();
  }
}

export interface ConfirmEmailForm {
  email: string;
  code: string;
  password: string;
}

function emptyConfirmEmail(): ConfirmEmailForm {
  return { email: '', code: '', password: '' };
}

export interface EmailLoginForm {
  email: string;
  code: string;
  sent: string | null;
}

function emptyEmailLogin(): EmailLoginForm {
  return { email: '', code: '', sent: null };
}

/**
 * How an action that has something to say on success went: the sentence to show
 * either way, and on failure the error code, for views that react to particular codes
 * (an expired link…).
 */
export type Outcome = { ok: true; message: string } | { ok: false; code: string; error: string };

/** Shown on the login page after a password reset. */
export const PASSWORD_CHANGED = 'Your password was changed. Sign in with the new one.';
/** Shown on the reset page when this browser is still signed in after a reset. */
export const PASSWORD_CHANGED_SIGNED_IN = 'Your password was changed.';
const SIGNED_IN = 'You are signed in.';
/** The code of a right password for an address not confirmed yet. */
const EMAIL_NOT_VERIFIED = 'email_not_verified';

function failure(error: unknown): Outcome {
  const apiError = toApiError(error);
  return { ok: false, code: apiError.code, error: describeError(apiError) };
}

/**
 * The account state of the app and every remote account action.
 *
 * Actions resolve to the sentence the calling view should show in its alert,
 * or null when there is nothing to show there (success, or the user was sent
 * elsewhere). They never reject.
 */
export class AuthController {
  state: AuthState = $state('checking');
  user: CurrentUser | null = $state(null);
  /** Why the user was sent to the login page; shown there until the next attempt. */
  notice: string | null = $state(null);
  /** Good news for the login page (the password was changed); shown there until the next attempt. */
  confirmation: string | null = $state(null);
  /** Why the session could not be checked at start (server unreachable…). */
  startupError: string | null = $state(null);
  /**
   * Something the user must read once signed in (a password set before their address was
   * proven was removed); shown on the home page until dismissed.
   */
  announcement: string | null = $state(null);
  readonly forms = new FormStore();

  readonly #api: Api;
  readonly #nav: Navigator;
  /**
   * Where the user was when their session ended under them, and as whom: signing in again
   * as the same person goes back there, with what they had typed.
   */
  #interrupted: { path: string; email: string } | null = null;

  constructor(api: Api, nav: Navigator) {
    this.#api = api;
    this.#nav = nav;
  }

  /** The API the signed-in views use. */
  get api(): Api {
    return this.#api;
  }

  /**
   * For the signed-in views: the sentence to show for a failed call, or null when there is
   * nothing to show there because the session had ended (401) and the user was sent to
   * sign in. What they typed is kept (it lives in `forms`), and signing in again as the
   * same person brings them back to the page they were on.
   */
  handleError(error: unknown): string | null {
    const apiError = toApiError(error);
    if (apiError.status === 401 && this.state === 'signed_in') {
      const route = matchRoute(this.#nav.path);
      this.#interrupted =
        route !== null && isPrivate(route) ? { path: this.#nav.path, email: this.user?.email ?? '' } : null;
    }
    return this.#fail(apiError, { onLoginPage: false });
  }

  /** Asks the server who is signed in. Called at start and by "Try again". */
  async start(): Promise<void> {
    this.state = 'checking';
    this.startupError = null;
    try {
      const user = await this.#api.currentUser();
      if (user) this.#signIn(user);
      else this.#signOut();
    } catch (error) {
      this.startupError = describeError(toApiError(error));
      this.state = 'unavailable';
    }
  }

  /**
   * Signs in with a password. The right password for an address not confirmed yet leads to
   * the confirmation page, with the server's sentence and the password kept for it.
   */
  async login(credentials: Credentials): Promise<string | null> {
    this.notice = null;
    this.confirmation = null;
    try {
      await this.#signInWith(() => this.#api.login(credentials));
      this.#nav.navigate(this.#afterSignIn());
      return null;
    } catch (error) {
      const apiError = toApiError(error);
      if (apiError.code === EMAIL_NOT_VERIFIED) {
        this.#awaitConfirmation(credentials, { notice: describeError(apiError) });
        return null;
      }
      return this.#fail(error, { onLoginPage: true });
    }
  }

  /**
   * Creates the account. Where the server sent a confirmation email, the user goes on to
   * confirm the address; otherwise (no email on this Docent) they sign in at once.
   */
  async register(credentials: Credentials, onProgress?: (step: 'signing_in') => void): Promise<string | null> {
    let registered;
    try {
      registered = await this.#api.register(credentials);
    } catch (error) {
      return this.#fail(error, { onLoginPage: false });
    }
    if (registered.verificationSent) {
      this.#awaitConfirmation(credentials, { confirmation: registered.message });
      return null;
    }

    onProgress?.('signing_in');
    try {
      await this.#signInWith(() => this.#api.login(credentials));
      this.forms.register = { email: '', password: '' };
      this.#nav.navigate(this.#afterSignIn());
      return null;
    } catch (error) {
      const apiError = toApiError(error);
      if (apiError.code === EMAIL_NOT_VERIFIED) {
        // Email is on, but this registration's email was not sent (too many asked for it).
        this.#awaitConfirmation(credentials, { notice: describeError(apiError) });
        return null;
      }
      // The account exists now: carry what was typed to the login page.
      this.forms.login = { email: credentials.email, password: credentials.password };
      this.forms.register = { email: '', password: '' };
      this.#signOut();
      this.notice = `Your account was created, but signing in failed: ${describeError(toApiError(error))}`;
      this.#nav.navigate(paths.login);
      return null;
    }
  }

  /** Asks for a password-reset email; on success, the server's sentence. */
  async requestPasswordReset(email: string): Promise<Outcome> {
    try {
      const { message } = await this.#api.requestPasswordReset(email);
      return { ok: true, message };
    } catch (error) {
      return failure(error);
    }
  }

  /**
   * Sets the new password with the token from the reset link. It does not sign in:
   * on success the token leaves the address bar and the user is sent to the login
   * page with a confirmation. A browser that was signed in already stays so, and
   * on the page, if the server kept its session.
   */
  async resetPassword(token: string, password: string): Promise<Outcome> {
    try {
      await this.#api.resetPassword({ token, password });
    } catch (error) {
      return failure(error);
    }
    this.forms.resetPassword.password = '';
    this.#nav.clearQuery();

    if (this.state === 'signed_in') {
      // The server may have ended the sessions that the old password opened.
      let user: CurrentUser | null;
      try {
        user = await this.#api.currentUser();
      } catch {
        user = this.user;
      }
      if (user) {
        this.#signIn(user);
        return { ok: true, message: PASSWORD_CHANGED_SIGNED_IN };
      }
      this.#signOut();
    }

    this.notice = null;
    this.confirmation = PASSWORD_CHANGED;
    this.forms.login.password = '';
    this.#nav.navigate(paths.login);
    return { ok: true, message: PASSWORD_CHANGED };
  }

  /** Asks for a sign-in email; on success the form moves on to the code step. */
  async requestLoginEmail(email: string): Promise<Outcome> {
    try {
      const { message } = await this.#api.requestLoginEmail(email);
      this.forms.emailLogin.email = email;
      this.forms.emailLogin.code = '';
      this.forms.emailLogin.sent = message;
      return { ok: true, message };
    } catch (error) {
      return failure(error);
    }
  }

  /** Asks for a new confirmation email; on success, the server's sentence. */
  async requestVerification(email: string): Promise<Outcome> {
    try {
      const { message } = await this.#api.requestVerification(email);
      this.forms.confirmEmail.email = email;
      this.forms.confirmEmail.code = '';
      return { ok: true, message };
    } catch (error) {
      return failure(error);
    }
  }

  /**
   * Confirms the address with the emailed link's token (or the address and code) and the
   * account's password, which signs in. On success the token leaves the address bar and the
   * user goes home.
   */
  async verifyEmail(proof: EmailConfirmation): Promise<Outcome> {
    this.notice = null;
    this.confirmation = null;
    try {
      await this.#signInWith(() => this.#api.verifyEmail(proof));
    } catch (error) {
      return failure(error);
    }
    this.forms.confirmEmail = emptyConfirmEmail();
    this.forms.register = { email: '', password: '' };
    this.#nav.clearQuery();
    this.#nav.navigate(this.#afterSignIn());
    return { ok: true, message: SIGNED_IN };
  }

  /** Leaves the announcement shown on the home page. */
  dismissAnnouncement(): void {
    this.announcement = null;
  }

  /** Back to the first step of the passwordless sign-in, keeping the email. */
  restartEmailLogin(): void {
    this.forms.emailLogin.code = '';
    this.forms.emailLogin.sent = null;
  }

  /**
   * Signs in with the token of an emailed link, or with the email and the code from it.
   * On success the token leaves the address bar and the user goes home.
   */
  async verifyLogin(proof: LoginProof): Promise<Outcome> {
    this.notice = null;
    this.confirmation = null;
    try {
      await this.#signInWith(() => this.#api.verifyLogin(proof));
    } catch (error) {
      return failure(error);
    }
    this.forms.emailLogin = emptyEmailLogin();
    this.#nav.clearQuery();
    this.#nav.navigate(this.#afterSignIn());
    return { ok: true, message: SIGNED_IN };
  }

  /** Ends this session. */
  logout(): Promise<string | null> {
    return this.#end(() => this.#api.logout());
  }

  /** Ends every session of this user, on every device. */
  logoutAll(): Promise<string | null> {
    return this.#end(() => this.#api.logoutAll());
  }

  async #end(call: () => Promise<void>): Promise<string | null> {
    try {
      await call();
    } catch (error) {
      const apiError = toApiError(error);
      // A 401 means the session had already ended: that is what the user wanted.
      if (apiError.status !== 401) return describeError(apiError);
    }
    const email = this.user?.email ?? '';
    this.#signOut();
    this.#interrupted = null;
    this.notice = null;
    this.forms.clear();
    this.forms.login.email = email;
    this.#nav.navigate(paths.login);
    return null;
  }

  /**
   * Where a sign-in leads: back to where the session ended if the same person signed in
   * again; otherwise home, and the previous person's work is forgotten.
   */
  #afterSignIn(): string {
    const interrupted = this.#interrupted;
    this.#interrupted = null;
    if (!interrupted) return paths.home;
    if (interrupted.email.toLowerCase() === (this.user?.email ?? '').toLowerCase()) return interrupted.path;
    this.forms.app.clear();
    return paths.home;
  }

  /**
   * Goes to the confirmation page for `credentials`' address, keeping the password in
   * memory for it, with good news (`confirmation`) or a reason (`notice`) to show there.
   */
  #awaitConfirmation(
    credentials: Credentials,
    say: { confirmation?: string | null; notice?: string | null },
  ): void {
    this.forms.confirmEmail = { email: credentials.email, code: '', password: credentials.password };
    this.forms.register = { email: '', password: '' };
    this.forms.login.password = '';
    this.confirmation = say.confirmation ?? null;
    this.notice = say.notice ?? null;
    this.#nav.navigate(paths.verifyEmail);
  }

  /** Runs a sign-in call, then checks that the session was kept. */
  async #signInWith(signIn: () => Promise<LoginResult>): Promise<void> {
    const result = await signIn();
    this.announcement = result.notice;
    const user = await this.#api.currentUser();
    if (!user) {
      throw new ApiError(
        401,
        'session_not_kept',
        'You were signed in, but the session was not kept. Check that Docent may store cookies, then try again.',
      );
    }
    this.forms.clearPasswords();
    this.#signIn(user);
  }

  /**
   * The sentence for a failed action. A 401 outside the login page means the
   * session is gone: the user is sent to sign in, forms untouched, and the
   * server's sentence is shown there.
   */
  #fail(error: unknown, where: { onLoginPage: boolean }): string | null {
    const apiError = toApiError(error);
    const sentence = describeError(apiError);
    if (apiError.status === 401 && !where.onLoginPage) {
      this.#signOut();
      this.notice = sentence;
      this.#nav.navigate(paths.login);
      return null;
    }
    return sentence;
  }

  #signIn(user: CurrentUser): void {
    this.user = user;
    this.state = 'signed_in';
  }

  #signOut(): void {
    this.user = null;
    this.state = 'signed_out';
    this.announcement = null;
  }
}
