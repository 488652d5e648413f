/**
 * Path logic of the client-side router, kept free of the DOM and of Svelte so
 * it can be tested on its own. `router.svelte.ts` wires it to `history`.
 */

export const paths = {
  home: '/',
  login: '/login',
  register: '/register',
  forgotPassword: '/forgot-password',
  /** Fixed: the password-reset email links here, with `?token=…`. */
  resetPassword: '/reset-password',
  emailLogin: '/login/email',
  /** Fixed: the sign-in email links here, with `?token=…`. */
  verifyLogin: '/login/verify',
} as const;

export type RouteName = keyof typeof paths;

/** Where the user stands with the server, as far as routing cares. */
export type AuthState = 'checking' | 'unavailable' | 'signed_in' | 'signed_out';

/** Routes that need a signed-in user. */
const privateRoutes: ReadonlySet<RouteName> = new Set<RouteName>(['home']);

/**
 * Routes for everyone, signed in or not; every other route is for signed-out users only.
 * A reset link stays usable when this browser still has a session.
 */
const openRoutes: ReadonlySet<RouteName> = new Set<RouteName>(['resetPassword']);

/**
 * Canonical form of a pathname: leading slash, no repeated slashes,
 * no trailing slash (except for the root itself).
 */
export function normalizePath(pathname: string): string {
  let path = pathname.split(/[?#]/, 1)[0] ?? '';
  path = ('/' + path).replace(/\/{2,}/g, '/');
  if (path.length > 1) path = path.replace(/\/+$/, '');
  return path === '' ? '/' : path;
}

/** The route for a pathname, or null when no route matches. */
export function matchRoute(pathname: string): RouteName | null {
  const path = normalizePath(pathname).toLowerCase();
  for (const name of Object.keys(paths) as RouteName[]) {
    if (paths[name] === path) return name;
  }
  return null;
}

export function isPrivate(route: RouteName): boolean {
  return privateRoutes.has(route);
}

export function isOpen(route: RouteName): boolean {
  return openRoutes.has(route);
}

/**
 * Where to send the user instead of `route`, or null to stay.
 *
 * - While the session is being checked (or cannot be), nobody moves.
 * - Signed out: private and unknown paths go to the login page.
 * - Signed in: the signed-out pages (login, register, password and email sign-in pages)
 *   and unknown paths go home; the reset-password page stays open.
 */
export function redirectFor(route: RouteName | null, auth: AuthState): string | null {
  if (auth === 'checking' || auth === 'unavailable') return null;
  if (auth === 'signed_out') {
    if (route === null || isPrivate(route)) return paths.login;
    return null;
  }
  if (route === null || !(isPrivate(route) || isOpen(route))) return paths.home;
  return null;
}

/** The parts of a click that decide whether the router should handle it. */
export interface ClickInfo {
  button: number;
  defaultPrevented: boolean;
  metaKey: boolean;
  ctrlKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

/** The parts of a link that decide whether the router should handle it. */
export interface LinkInfo {
  /** The link's resolved URL (`anchor.href`). */
  href: string;
  target: string;
  hasDownload: boolean;
}

/**
 * The in-app pathname a click on a link should navigate to, or null to let
 * the browser handle it (new tab, other site, download, unknown path…).
 *
 * `currentHref` is the page's own URL. Scheme and host are compared rather
 * than `URL.origin`, which is "null" for custom schemes such as Tauri's.
 */
export function internalPathForClick(click: ClickInfo, link: LinkInfo, currentHref: string): string | null {
  if (click.defaultPrevented || click.button !== 0) return null;
  if (click.metaKey || click.ctrlKey || click.shiftKey || click.altKey) return null;
  if (link.hasDownload || (link.target !== '' && link.target !== '_self')) return null;
  let url: URL;
  let here: URL;
  try {
    here = new URL(currentHref);
    url = new URL(link.href, here);
  } catch {
    return null;
  }
  if (url.protocol !== here.protocol || url.host !== here.host) return null;
  return matchRoute(url.pathname) === null ? null : normalizePath(url.pathname);
}

/** The value of `name` in a query string such as `?token=…`, or null when absent or empty. */
export function queryParam(search: string, name: string): string | null {
  const value = new URLSearchParams(search).get(name);
  return value === null || value === '' ? null : value;
}
