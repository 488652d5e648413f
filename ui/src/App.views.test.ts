import { render, screen } from '@testing-library/svelte';
import { expect, it, vi } from 'vitest';
import App from './App.svelte';
import { AuthController } from './lib/auth.svelte';
import { Router } from './lib/router.svelte';
import { ada, fakeApi } from './test/fakes';

// The views behind sign-in are a separate file the app loads after its first screen; a
// browser can fail to fetch it (the server restarted with a new build, the network dropped).
vi.mock('./views/signed-in', () => {
  throw new TypeError('Failed to fetch dynamically imported module');
});

it('says when the signed-in views cannot be loaded, and offers to reload', async () => {
  window.history.replaceState(null, '', '/');
  const api = fakeApi();
  api.currentUser.mockResolvedValueOnce(ada);
  const router = new Router();
  render(App, { auth: new AuthController(api, router), router });

  expect(await screen.findByRole('alert')).toHaveTextContent('Docent could not load this page. Reload it to try again.');
  expect(screen.getByRole('button', { name: 'Reload' })).toBeEnabled();
  expect(screen.getByRole('banner')).toHaveTextContent(ada.email);
});

it('shows the sign-in pages without them', async () => {
  window.history.replaceState(null, '', '/login');
  const api = fakeApi();
  api.currentUser.mockResolvedValueOnce(null);
  const router = new Router();
  render(App, { auth: new AuthController(api, router), router });

  expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
  expect(screen.queryByRole('alert')).not.toBeInTheDocument();
});
