import { mount } from 'svelte';
import App from './App.svelte';
import { loadApi } from './lib/api';
import { AuthController } from './lib/auth.svelte';
import { Router } from './lib/router.svelte';
import './app.css';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element.');

const router = new Router();
// Not a top-level await: the desktop transport's file imports from this one, which must have
// finished running by then.
void loadApi().then((api) => {
  const auth = new AuthController(api, router);
  mount(App, { target, props: { auth, router } });
});
