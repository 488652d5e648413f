import {
  internalPathForClick,
  normalizePath,
  parseRoute,
  queryParam,
  searchOf,
  type RouteName,
  type RouteParams,
} from './routes';

export interface NavigateOptions {
  /** Replace the current history entry instead of adding one. */
  replace?: boolean;
}

/** What the rest of the app needs from the router. */
export interface Navigator {
  /** The current pathname. */
  readonly path: string;
  readonly route: RouteName | null;
  /** Goes to an app path; a query string in it (`?token=…`) is kept, any other is dropped. */
  navigate(path: string, options?: NavigateOptions): void;
  /**
   * Removes the query string from the address bar and the current history entry, so a
   * one-time token (`?token=…`) does not stay there once it has been used.
   */
  clearQuery(): void;
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
  /**
   * The query string of the page's URL (`?token=…` from an emailed link), '' when none.
   * It may hold a secret: never log it.
   */
  search: string = $state('');
  /** Counts navigations the user caused (links, back/forward, actions); redirects don't count. */
  navigations: number = $state(0);
  readonly #match = $derived(parseRoute(this.path));
  readonly route: RouteName | null = $derived(this.#match?.name ?? null);
  /** The ids in the path (`/app/w/{workspaceId}/c/{conversationId}`). */
  readonly params: RouteParams = $derived(this.#match?.params ?? {});
  readonly #win: RouterWindow;

  constructor(win: RouterWindow = window) {
    this.#win = win;
    this.path = normalizePath(win.location.pathname);
    this.search = win.location.search;
    // Show the canonical form in the address bar (/login/ -> /login), keeping the query.
    if (win.location.pathname !== this.path) {
      win.history.replaceState(win.history.state, '', this.path + win.location.search + win.location.hash);
    }
  }

  /** A parameter of the page's query string, or null. */
  param(name: string): string | null {
    return queryParam(this.search, name);
  }

  clearQuery(): void {
    if (this.#win.location.search !== '') this.#win.history.replaceState(this.#win.history.state, '', this.path);
    this.search = '';
  }

  /** Follows the browser's back and forward buttons. Returns a function that stops. */
  listen(): () => void {
    const onPopState = () => {
      this.path = normalizePath(this.#win.location.pathname);
      this.search = this.#win.location.search;
      this.navigations += 1;
    };
    this.#win.addEventListener('popstate', onPopState);
    return () => this.#win.removeEventListener('popstate', onPopState);
  }

  navigate(path: string, options: NavigateOptions = {}): void {
    const target = normalizePath(path);
    // In-app paths carry no query: going anywhere, even to the same path, drops it. Only a
    // link handed over by the OS (`/login/verify?token=…`, see `Api.onAppLink`) and the
    // document viewer's address (`/app/d/…?page=…`, see `appPaths.document`) bring one.
    const search = searchOf(path);
    const moves = this.#win.location.pathname !== target || this.#win.location.search !== search;
    if (options.replace) {
      if (moves) this.#win.history.replaceState(null, '', target + search);
    } else {
      if (moves) this.#win.history.pushState(null, '', target + search);
      this.navigations += 1;
    }
    this.path = target;
    this.search = search;
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
