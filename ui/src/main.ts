import { mount } from 'svelte';
import App from './App.svelte';
import { chooseApi } from './lib/api';
import { AuthController } from './lib/auth.svelte';
import { Router } from './lib/router.svelte';
import './app.css';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element.');

const router = new Router();
const auth = new AuthController(chooseApi(), router);

mount(App, { target, props: { auth, router } });
