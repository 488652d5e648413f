import '@testing-library/jest-dom/vitest';
import { configure } from '@testing-library/svelte';

// The first test of a file that opens a signed-in view waits for that chunk to be transformed
// and loaded, which takes more than testing-library's default second on a busy 2-core machine
// (CI). Waiting longer only matters when something is slow; a missing element still fails.
configure({ asyncUtilTimeout: 5000 });
