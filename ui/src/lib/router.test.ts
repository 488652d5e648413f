import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Router } from './router.svelte';

describe('Router', () => {
  let stop: (() => void) | undefined;

  beforeEach(() => {
    window.history.replaceState(null, '', '/');
  });

  afterEach(() => {
    stop?.();
    stop = undefined;
  });

  it('starts from the current pathname, normalised', () => {
    window.history.replaceState(null, '', '/login/');
    const router = new Router();
    expect(router.path).toBe('/login');
    expect(router.route).toBe('login');
    expect(window.location.pathname).toBe('/login');
  });

  it('keeps the query string (an emailed token) while normalising the path', () => {
    window.history.replaceState(null, '', '/reset-password/?token=abc');
    const router = new Router();
    expect(router.route).toBe('resetPassword');
    expect(router.param('token')).toBe('abc');
    expect(window.location.pathname).toBe('/reset-password');
    expect(window.location.search).toBe('?token=abc');
  });

  it('clearQuery removes the query from the current entry without a navigation', () => {
    window.history.replaceState(null, '', '/login/verify?token=abc');
    const router = new Router();
    const push = vi.spyOn(window.history, 'pushState');
    const replace = vi.spyOn(window.history, 'replaceState');
    router.clearQuery();
    expect(push).not.toHaveBeenCalled();
    expect(replace).toHaveBeenCalledWith(null, '', '/login/verify');
    expect(window.location.href).not.toContain('abc');
    expect(router.param('token')).toBeNull();
    expect(router.route).toBe('verifyLogin');
    expect(router.navigations).toBe(0);
  });

  it('navigate drops the query, even to the same path', () => {
    window.history.replaceState(null, '', '/reset-password?token=abc');
    const router = new Router();
    router.navigate('/reset-password');
    expect(window.location.search).toBe('');
    expect(router.param('token')).toBeNull();
  });

  it('navigate keeps a query given in the path (a link handed over by the desktop app)', () => {
    window.history.replaceState(null, '', '/login');
    const router = new Router();
    const push = vi.spyOn(window.history, 'pushState');
    router.navigate('/login/verify?token=abc#ignored');
    expect(push).toHaveBeenCalledWith(null, '', '/login/verify?token=abc');
    expect(router.route).toBe('verifyLogin');
    expect(router.param('token')).toBe('abc');
    expect(router.navigations).toBe(1);

    // The same page with another token is a move too.
    router.navigate('/login/verify?token=xyz');
    expect(push).toHaveBeenCalledTimes(2);
    expect(router.param('token')).toBe('xyz');
  });

  it('reads the query again on back/forward', () => {
    const router = new Router();
    stop = router.listen();
    window.history.pushState(null, '', '/login/verify?token=xyz');
    window.dispatchEvent(new PopStateEvent('popstate'));
    expect(router.route).toBe('verifyLogin');
    expect(router.param('token')).toBe('xyz');
  });

  it('navigate pushes a history entry and updates the route', () => {
    const router = new Router();
    const push = vi.spyOn(window.history, 'pushState');
    router.navigate('/register');
    expect(push).toHaveBeenCalledWith(null, '', '/register');
    expect(window.location.pathname).toBe('/register');
    expect(router.route).toBe('register');
    expect(router.navigations).toBe(1);
  });

  it('navigate with replace does not add an entry nor count as a navigation', () => {
    const router = new Router();
    const push = vi.spyOn(window.history, 'pushState');
    const replace = vi.spyOn(window.history, 'replaceState');
    router.navigate('/login', { replace: true });
    expect(push).not.toHaveBeenCalled();
    expect(replace).toHaveBeenCalledWith(null, '', '/login');
    expect(router.route).toBe('login');
    expect(router.navigations).toBe(0);
  });

  it('does not push a duplicate entry for the current path', () => {
    window.history.replaceState(null, '', '/login');
    const router = new Router();
    const push = vi.spyOn(window.history, 'pushState');
    router.navigate('/login');
    expect(push).not.toHaveBeenCalled();
  });

  it('follows back/forward once listening, and stops when asked', () => {
    const router = new Router();
    stop = router.listen();
    window.history.pushState(null, '', '/register');
    window.dispatchEvent(new PopStateEvent('popstate'));
    expect(router.route).toBe('register');

    stop();
    stop = undefined;
    window.history.pushState(null, '', '/login');
    window.dispatchEvent(new PopStateEvent('popstate'));
    expect(router.route).toBe('register');
  });

  it('handleLinkClick navigates in-app links without a page load', () => {
    const router = new Router();
    const anchor = document.createElement('a');
    anchor.href = '/register';
    anchor.addEventListener('click', router.handleLinkClick);
    document.body.append(anchor);

    const event = new MouseEvent('click', { bubbles: true, cancelable: true, button: 0 });
    anchor.dispatchEvent(event);
    expect(event.defaultPrevented).toBe(true);
    expect(router.route).toBe('register');

    // jsdom cannot open a new tab: note whether the router left the click
    // alone, then cancel it so jsdom does not try to navigate.
    let leftToBrowser = false;
    const cancel = (e: Event) => {
      leftToBrowser = !e.defaultPrevented;
      e.preventDefault();
    };
    window.addEventListener('click', cancel);
    const newTab = new MouseEvent('click', { bubbles: true, cancelable: true, button: 0, ctrlKey: true });
    anchor.href = '/login';
    anchor.dispatchEvent(newTab);
    window.removeEventListener('click', cancel);
    expect(leftToBrowser).toBe(true);
    expect(router.route).toBe('register');
    anchor.remove();
  });
});
