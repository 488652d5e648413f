/**
 * Path logic of the client-side router, kept free of the DOM and of Svelte so
 * it can be tested on its own. `router.svelte.ts` wires it to `history`.
 */

export const paths = {
  /** The signed-in home: the workspaces. */
  home: '/',
  login: '/login',
  register: '/register',
  forgotPassword: '/forgot-password',
  /** Fixed: the password-reset email links here, with `?token=…`. */
  resetPassword: '/reset-password',
  emailLogin: '/login/email',
  /** Fixed: the sign-in email links here, with `?token=…`. */
  verifyLogin: '/login/verify',
  /**
   * Confirming the address of a new password account: the confirmation email links here with
   * `?token=…`; without one, the page takes the emailed code.
   */
  verifyEmail: '/verify-email',
  /** Conversation history, the user's own and their colleagues'. */
  history: '/app/history',
  /** The app's settings: the language model and the document search. */
  settings: '/app/settings',
} as const;

type StaticRoute = keyof typeof paths;

/**
 * Routes with ids in their path. They live under `/app/`, away from the server's API
 * paths (`/workspaces…`, `/conversations…`, `/chat/…`, `/history…`), which the server
 * answers itself rather than with index.html.
 */
const patterns = {
  /** A workspace's chat, before a conversation is picked: `/app/w/{workspaceId}`. */
  workspace: ['app', 'w', ':workspaceId'],
  /** A workspace's settings: `/app/w/{workspaceId}/settings`. */
  workspaceSettings: ['app', 'w', ':workspaceId', 'settings'],
  /** A conversation of one of the user's workspaces: `/app/w/{workspaceId}/c/{conversationId}`. */
  conversation: ['app', 'w', ':workspaceId', 'c', ':conversationId'],
  /** A conversation on its own, e.g. one a colleague shared: `/app/c/{conversationId}`. */
  sharedConversation: ['app', 'c', ':conversationId'],
  /** A workspace's documents: `/app/w/{workspaceId}/documents`. */
  workspaceDocuments: ['app', 'w', ':workspaceId', 'documents'],
  /** A document, at a page: `/app/d/{documentId}?page=…&q=…&passage=…` (viewer.ts). */
  document: ['app', 'd', ':documentId'],
} as const;

export type RouteName = StaticRoute | keyof typeof patterns;

export interface RouteParams {
  workspaceId?: string;
  conversationId?: string;
  documentId?: string;
}

export interface RouteMatch {
  name: RouteName;
  params: RouteParams;
}

/** The in-app paths with ids. */
export const appPaths = {
  workspace: (workspaceId: string) => `/app/w/${encodeURIComponent(workspaceId)}`,
  workspaceSettings: (workspaceId: string) => `/app/w/${encodeURIComponent(workspaceId)}/settings`,
  conversation: (workspaceId: string, conversationId: string) =>
    `/app/w/${encodeURIComponent(workspaceId)}/c/${encodeURIComponent(conversationId)}`,
  sharedConversation: (conversationId: string) => `/app/c/${encodeURIComponent(conversationId)}`,
  workspaceDocuments: (workspaceId: string) => `/app/w/${encodeURIComponent(workspaceId)}/documents`,
} as const;

/** Where the user stands with the server, as far as routing cares. */
export type AuthState = 'checking' | 'unavailable' | 'signed_in' | 'signed_out';

/** Routes that need a signed-in user. */
const privateRoutes: ReadonlySet<RouteName> = new Set<RouteName>([
  'home',
  'history',
  'settings',
  'workspace',
  'workspaceSettings',
  'conversation',
  'sharedConversation',
  'workspaceDocuments',
  'document',
]);

/**
 * Routes whose query string is part of the page (the viewer's page and passage); every other
 * in-app link drops its query (`Router.navigate`).
 */
const routesWithQuery: ReadonlySet<RouteName> = new Set<RouteName>(['document']);

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

/** An id in a path: letters, digits, `-` and `_` (UUIDs, in practice). */
const ID = /^[A-Za-z0-9_-]{1,100}$/;

/** The route and its ids for a pathname, or null when no route matches. */
export function parseRoute(pathname: string): RouteMatch | null {
  const path = normalizePath(pathname);
  const lower = path.toLowerCase();
  for (const name of Object.keys(paths) as StaticRoute[]) {
    if (paths[name] === lower) return { name, params: {} };
  }
  const segments = path.split('/').slice(1);
  for (const name of Object.keys(patterns) as Array<keyof typeof patterns>) {
    const pattern: readonly string[] = patterns[name];
    if (pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const matches = pattern.every((part, i) => {
      const segment = segments[i] ?? '';
      if (!part.startsWith(':')) return part === segment.toLowerCase();
      let value: string;
      try {
        value = decodeURIComponent(segment);
      } catch {
        return false;
      }
      if (!ID.test(value)) return false;
      params[part.slice(1)] = value;
      return true;
    });
    if (matches) return { name, params };
  }
  return null;
}

/** The route for a pathname, or null when no route matches. */
export function matchRoute(pathname: string): RouteName | null {
  return parseRoute(pathname)?.name ?? null;
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
  const route = matchRoute(url.pathname);
  if (route === null) return null;
  return normalizePath(url.pathname) + (routesWithQuery.has(route) ? url.search : '');
}

/** The query string of a path (`/login/verify?token=…` gives `?token=…`), without its fragment; '' when none. */
export function searchOf(path: string): string {
  const beforeHash = path.split('#', 1)[0] ?? '';
  const start = beforeHash.indexOf('?');
  return start < 0 || start === beforeHash.length - 1 ? '' : beforeHash.slice(start);
}

/**
 * The links the OS may hand to the desktop app (`docent://login/verify?token=…`), as the
 * shell passes them on: app paths of the sign-in and password-reset pages, with their query.
 */
const APP_LINK_PREFIXES: readonly string[] = [
  `${paths.verifyLogin}?`,
  `${paths.resetPassword}?`,
  `${paths.verifyEmail}?`,
];

/**
 * The app path of a link handed over by the OS, or null for anything the app does not open
 * that way (another page, a path without its query, something that is not a string).
 */
export function appLinkPath(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  return APP_LINK_PREFIXES.some((prefix) => value.startsWith(prefix)) ? value : null;
}

/** The value of `name` in a query string such as `?token=…`, or null when absent or empty. */
export function queryParam(search: string, name: string): string | null {
  const value = new URLSearchParams(search).get(name);
  return value === null || value === '' ? null : value;
}
