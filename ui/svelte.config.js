/** @type {import('@sveltejs/vite-plugin-svelte').SvelteConfig} */
export default {
  compilerOptions: {
    // Runes everywhere: no legacy reactivity in this code base.
    runes: true,
  },
};
