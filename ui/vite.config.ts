/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';

// Where `npm run dev` forwards API calls: a locally running docent-server.
const devServer = 'http://127.0.0.1:8787';

export default defineConfig({
  // svelteTesting() only acts under Vitest: browser builds of Svelte + auto cleanup.
  plugins: [svelte(), svelteTesting()],
  // Relative asset URLs, so the same build works when docent-server serves it
  // at http://127.0.0.1:8787/ and when Tauri loads it from its own origin.
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
  },
  server: {
    // The API paths; the app's own pages live under /app/ and are served by Vite.
    proxy: {
      '/auth': devServer,
      '/workspaces': devServer,
      '/documents': devServer,
      '/conversations': devServer,
      '/chat': devServer,
      '/history': devServer,
      '/settings': devServer,
      '/status': devServer,
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['./src/test/setup.ts'],
    restoreMocks: true,
    unstubGlobals: true,
  },
});
