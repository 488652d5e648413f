import { internalPathForClick, matchRoute, normalizePath, type RouteName } from './routes';

export interface NavigateOptions {
  /** Replace the current history entry instead of adding one. */
  replace?: boolean;
}

/** What the rest of the app needs from the router. */
export interface Navigator {
  readonly route: RouteName | null;
  navigate(path: string, options?: NavigateOptions): void;
}

/** The browser objects the router uses; a test can pass its own window. */
type RouterWindow = Pick<Window, 'location' | 'history' | 'addEventListener' | 'removeEventListener'>;

/**
 * Client-side router over `location.pathname` and the History API.
 * The server answers every unknown GET path with index.html, so reloading
 * any of these paths lands back here.
 */
export class Router implements Navigator {
  path: string = $state('/');
  /** Counts navigations the user caused (links, back/forward, actions); redirects don't count. */
  navigations: number = $state(0);
  readonly route: RouteName | null = $derived(matchRoute(this.path));
  readonly #win: RouterWindow;

  constructor(win: RouterWindow = window) {
    this.#win = win;
    this.path = normalizePath(win.location.pathname);
    // Show the canonical form in the address bar (/login/ -> /login).
    if (win.location.pathname !== this.path) win.history.replaceState(win.history.state, '', this.path);
  }

  /** Follows the browser's back and forward buttons. Returns a function that stops. */
  listen(): () => void {
    const onPopState = () => {
      this.path = normalizePath(this.#win.location.pathname);
      this.navigations += 1;
    };
    this.#win.addEventListener('popstate', onPopState);
    return () => this.#win.removeEventListener('popstate', onPopState);
  }

  navigate(path: string, options: NavigateOptions = {}): void {
    const target = normalizePath(path);
    const current = this.#win.location.pathname;
    if (options.replace) {
      if (current !== target) this.#win.history.replaceState(null, '', target);
    } else {
      if (current !== target) this.#win.history.pushState(null, '', target);
      this.navigations += 1;
    }
    this.path = target;
  }

  /** Click handler for in-app links: navigates without reloading the page. */
  readonly handleLinkClick = (event: MouseEvent): void => {
    const anchor = event.currentTarget;
    if (!(anchor instanceof HTMLAnchorElement)) return;
    const path = internalPathForClick(
      event,
      { href: anchor.href, target: anchor.target, hasDownload: anchor.hasAttribute('download') },
      this.#win.location.href,
    );
    if (path === null) return;
    event.preventDefault();
    this.navigate(path);
  };
}
