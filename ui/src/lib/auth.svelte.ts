import { ApiError, describeError, toApiError, type Api, type Credentials, type CurrentUser } from './api';
import type { Navigator } from './router.svelte';
import { paths, type AuthState } from './routes';

/**
 * What the user typed into the account forms. It lives here rather than in
 * the views so it survives view switches, for instance when a 401 sends the
 * user to the login page in the middle of something.
 * It is kept in memory only, never written to storage.
 */
export class FormStore {
  login: Credentials = $state({ email: '', password: '' });
  register: Credentials = $state({ email: '', password: '' });

  clearPasswords(): void {
    this.login.password = '';
    this.register.password = '';
  }

  clear(): void {
    this.login = { email: '', password: '' };
    this.register = { email: '', password: '' };
  }
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
  /** Why the session could not be checked at start (server unreachable…). */
  startupError: string | null = $state(null);
  readonly forms = new FormStore();

  readonly #api: Api;
  readonly #nav: Navigator;

  constructor(api: Api, nav: Navigator) {
    this.#api = api;
    this.#nav = nav;
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

  async login(credentials: Credentials): Promise<string | null> {
    this.notice = null;
    try {
      await this.#signInWith(credentials);
      this.#nav.navigate(paths.home);
      return null;
    } catch (error) {
      return this.#fail(error, { onLoginPage: true });
    }
  }

  /** Creates the account, then signs in with the same credentials. */
  async register(credentials: Credentials, onProgress?: (step: 'signing_in') => void): Promise<string | null> {
    try {
      await this.#api.register(credentials);
    } catch (error) {
      return this.#fail(error, { onLoginPage: false });
    }

    onProgress?.('signing_in');
    try {
      await this.#signInWith(credentials);
      this.forms.register = { email: '', password: '' };
      this.#nav.navigate(paths.home);
      return null;
    } catch (error) {
      // The account exists now: carry what was typed to the login page.
      this.forms.login = { email: credentials.email, password: credentials.password };
      this.forms.register = { email: '', password: '' };
      this.#signOut();
      this.notice = `Your account was created, but signing in failed: ${describeError(toApiError(error))}`;
      this.#nav.navigate(paths.login);
      return null;
    }
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
    this.notice = null;
    this.forms.clear();
    this.forms.login.email = email;
    this.#nav.navigate(paths.login);
    return null;
  }

  async #signInWith(credentials: Credentials): Promise<void> {
    await this.#api.login(credentials);
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
  }
}
