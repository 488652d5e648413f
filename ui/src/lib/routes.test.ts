import { describe, expect, it } from 'vitest';
import {
  appLinkPath,
  appPaths,
  internalPathForClick,
  matchRoute,
  normalizePath,
  parseRoute,
  paths,
  queryParam,
  redirectFor,
  searchOf,
  type ClickInfo,
} from './routes';

describe('normalizePath', () => {
  it.each([
    ['', '/'],
    ['/', '/'],
    ['//', '/'],
    ['/login', '/login'],
    ['/login/', '/login'],
    ['login', '/login'],
    ['//register///', '/register'],
    ['/login?next=1', '/login'],
    ['/login#top', '/login'],
  ])('%j -> %j', (input, expected) => {
    expect(normalizePath(input)).toBe(expected);
  });
});

describe('matchRoute', () => {
  it('matches the known paths', () => {
    expect(matchRoute('/')).toBe('home');
    expect(matchRoute('/login')).toBe('login');
    expect(matchRoute('/register')).toBe('register');
  });

  it('matches the password-reset and email sign-in paths, with or without a query', () => {
    expect(matchRoute('/forgot-password')).toBe('forgotPassword');
    expect(matchRoute('/reset-password')).toBe('resetPassword');
    expect(matchRoute('/reset-password?token=abc')).toBe('resetPassword');
    expect(matchRoute('/login/email')).toBe('emailLogin');
    expect(matchRoute('/login/verify')).toBe('verifyLogin');
    expect(matchRoute('/login/verify/?token=abc')).toBe('verifyLogin');
    expect(paths.resetPassword).toBe('/reset-password');
    expect(paths.verifyLogin).toBe('/login/verify');
  });

  it('tolerates trailing slashes and case', () => {
    expect(matchRoute('/login/')).toBe('login');
    expect(matchRoute('/Register')).toBe('register');
  });

  it('returns null for anything else', () => {
    expect(matchRoute('/logins')).toBeNull();
    expect(matchRoute('/login/extra')).toBeNull();
    expect(matchRoute('/index.html')).toBeNull();
  });
});

describe('redirectFor', () => {
  it('does not move anyone while the session is unknown', () => {
    for (const route of ['home', 'login', 'register', null] as const) {
      expect(redirectFor(route, 'checking')).toBeNull();
      expect(redirectFor(route, 'unavailable')).toBeNull();
    }
  });

  it('sends signed-out users to /login from private or unknown paths', () => {
    expect(redirectFor('home', 'signed_out')).toBe(paths.login);
    expect(redirectFor(null, 'signed_out')).toBe(paths.login);
    expect(redirectFor('login', 'signed_out')).toBeNull();
    expect(redirectFor('register', 'signed_out')).toBeNull();
  });

  it('lets signed-out users reach the password and email sign-in pages', () => {
    for (const route of ['forgotPassword', 'resetPassword', 'emailLogin', 'verifyLogin'] as const) {
      expect(redirectFor(route, 'signed_out'), route).toBeNull();
    }
  });

  it('sends signed-in users home from the signed-out pages, but leaves a reset link usable', () => {
    expect(redirectFor('forgotPassword', 'signed_in')).toBe(paths.home);
    expect(redirectFor('emailLogin', 'signed_in')).toBe(paths.home);
    expect(redirectFor('verifyLogin', 'signed_in')).toBe(paths.home);
    expect(redirectFor('resetPassword', 'signed_in')).toBeNull();
  });

  it('sends signed-in users home from the account pages or unknown paths', () => {
    expect(redirectFor('home', 'signed_in')).toBeNull();
    expect(redirectFor('login', 'signed_in')).toBe(paths.home);
    expect(redirectFor('register', 'signed_in')).toBe(paths.home);
    expect(redirectFor(null, 'signed_in')).toBe(paths.home);
  });
});

describe('queryParam', () => {
  it('reads a parameter, decoded', () => {
    expect(queryParam('?token=abc-123', 'token')).toBe('abc-123');
    expect(queryParam('?a=1&token=x%2By', 'token')).toBe('x+y');
    expect(queryParam('token=abc', 'token')).toBe('abc');
  });

  it('is null when the parameter is absent or empty', () => {
    expect(queryParam('', 'token')).toBeNull();
    expect(queryParam('?other=1', 'token')).toBeNull();
    expect(queryParam('?token=', 'token')).toBeNull();
  });
});

describe('searchOf', () => {
  it('is the query of a path, without its fragment', () => {
    expect(searchOf('/login/verify?token=abc')).toBe('?token=abc');
    expect(searchOf('/reset-password?token=abc#top')).toBe('?token=abc');
    expect(searchOf('/login')).toBe('');
    expect(searchOf('/login?')).toBe('');
    expect(searchOf('/login#a?b')).toBe('');
  });
});

describe('appLinkPath', () => {
  it('accepts the sign-in, password-reset and address-confirmation pages with their query', () => {
    expect(appLinkPath('/login/verify?token=abc')).toBe('/login/verify?token=abc');
    expect(appLinkPath('/reset-password?token=abc')).toBe('/reset-password?token=abc');
    expect(appLinkPath('/verify-email?token=abc')).toBe('/verify-email?token=abc');
  });

  it('refuses anything else', () => {
    for (const value of [
      '/login/verify',
      '/reset-password',
      '/verify-email',
      '/app/settings?token=abc',
      '/login?token=abc',
      '/login/verifyx?token=abc',
      'https://evil.example.com/login/verify?token=abc',
      'docent://login/verify?token=abc',
      '//evil.example.com/reset-password?token=abc',
      '',
      null,
      42,
      { path: '/login/verify?token=abc' },
    ]) {
      expect(appLinkPath(value), String(value)).toBeNull();
    }
  });
});

describe('internalPathForClick', () => {
  const here = 'http://127.0.0.1:8787/login';
  const click: ClickInfo = {
    button: 0,
    defaultPrevented: false,
    metaKey: false,
    ctrlKey: false,
    shiftKey: false,
    altKey: false,
  };
  const link = { href: 'http://127.0.0.1:8787/register', target: '', hasDownload: false };

  it('handles a plain left click on an in-app link', () => {
    expect(internalPathForClick(click, link, here)).toBe('/register');
    expect(internalPathForClick(click, { ...link, href: '/register/' }, here)).toBe('/register');
    expect(internalPathForClick(click, { ...link, target: '_self' }, here)).toBe('/register');
    expect(internalPathForClick(click, { ...link, href: '/forgot-password' }, here)).toBe('/forgot-password');
    expect(internalPathForClick(click, { ...link, href: '/login/email' }, here)).toBe('/login/email');
  });

  it('works on custom schemes such as Tauri’s', () => {
    expect(internalPathForClick(click, { ...link, href: 'tauri://localhost/register' }, 'tauri://localhost/login')).toBe(
      '/register',
    );
  });

  it('leaves modified, non-primary and already-handled clicks to the browser', () => {
    expect(internalPathForClick({ ...click, ctrlKey: true }, link, here)).toBeNull();
    expect(internalPathForClick({ ...click, metaKey: true }, link, here)).toBeNull();
    expect(internalPathForClick({ ...click, shiftKey: true }, link, here)).toBeNull();
    expect(internalPathForClick({ ...click, altKey: true }, link, here)).toBeNull();
    expect(internalPathForClick({ ...click, button: 1 }, link, here)).toBeNull();
    expect(internalPathForClick({ ...click, defaultPrevented: true }, link, here)).toBeNull();
  });

  it('leaves other targets, downloads, other sites and unknown paths to the browser', () => {
    expect(internalPathForClick(click, { ...link, target: '_blank' }, here)).toBeNull();
    expect(internalPathForClick(click, { ...link, hasDownload: true }, here)).toBeNull();
    expect(internalPathForClick(click, { ...link, href: 'https://example.com/register' }, here)).toBeNull();
    expect(internalPathForClick(click, { ...link, href: 'http://127.0.0.1:9999/register' }, here)).toBeNull();
    expect(internalPathForClick(click, { ...link, href: 'http://127.0.0.1:8787/docs' }, here)).toBeNull();
  });
});

describe('signed-in app routes', () => {
  it('match the workspace, settings, conversation, shared conversation and history paths', () => {
    expect(parseRoute('/app/w/w1')).toEqual({ name: 'workspace', params: { workspaceId: 'w1' } });
    expect(parseRoute('/app/w/w1/settings')).toEqual({ name: 'workspaceSettings', params: { workspaceId: 'w1' } });
    expect(parseRoute('/app/w/3f2a-B9/c/c_1/')).toEqual({
      name: 'conversation',
      params: { workspaceId: '3f2a-B9', conversationId: 'c_1' },
    });
    expect(parseRoute('/App/C/c7')).toEqual({ name: 'sharedConversation', params: { conversationId: 'c7' } });
    expect(parseRoute('/app/history')).toEqual({ name: 'history', params: {} });
    expect(matchRoute('/app/w/w1/c/c1')).toBe('conversation');
  });

  it('build the same paths', () => {
    expect(appPaths.workspace('w1')).toBe('/app/w/w1');
    expect(appPaths.workspaceSettings('w1')).toBe('/app/w/w1/settings');
    expect(appPaths.conversation('w1', 'c1')).toBe('/app/w/w1/c/c1');
    expect(appPaths.sharedConversation('c1')).toBe('/app/c/c1');
    expect(paths.history).toBe('/app/history');
    expect(paths.settings).toBe('/app/settings');
    expect(parseRoute('/app/settings/')).toEqual({ name: 'settings', params: {} });
    for (const path of [appPaths.workspace('w1'), appPaths.conversation('w1', 'c1'), appPaths.sharedConversation('c1')]) {
      expect(parseRoute(path)).not.toBeNull();
    }
  });

  it('leave the server’s API paths alone', () => {
    for (const path of ['/workspaces', '/workspaces/w1', '/conversations/c1', '/chat/message', '/history', '/app']) {
      expect(matchRoute(path), path).toBeNull();
    }
  });

  it('refuse ids that are not ids', () => {
    expect(matchRoute('/app/w/a%2Fb')).toBeNull();
    expect(matchRoute('/app/w/%E0%A4%A')).toBeNull();
    expect(matchRoute('/app/w/w1/c')).toBeNull();
    expect(matchRoute('/app/w/w1/c/c1/extra')).toBeNull();
  });

  it('are private: signed-out users go to /login, signed-in users stay', () => {
    for (const route of [
      'history',
      'settings',
      'workspace',
      'workspaceSettings',
      'conversation',
      'sharedConversation',
    ] as const) {
      expect(redirectFor(route, 'signed_out'), route).toBe(paths.login);
      expect(redirectFor(route, 'signed_in'), route).toBeNull();
    }
  });

  it('in-app links to them are handled by the router', () => {
    const click = { button: 0, defaultPrevented: false, metaKey: false, ctrlKey: false, shiftKey: false, altKey: false };
    const link = { href: 'http://127.0.0.1:8787/app/w/w1/c/c1', target: '', hasDownload: false };
    expect(internalPathForClick(click, link, 'http://127.0.0.1:8787/')).toBe('/app/w/w1/c/c1');
    expect(
      internalPathForClick(click, { ...link, href: 'http://127.0.0.1:8787/workspaces/w1' }, 'http://127.0.0.1:8787/'),
    ).toBeNull();
  });
});
