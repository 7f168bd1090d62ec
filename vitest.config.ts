import { defineConfig } from 'vitest/config';

// Unit and integration tests run under Node; the browser end-to-end tests drive Debian's Chromium
// themselves through playwright-core, so no jsdom is needed.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    pool: 'forks',
  },
});
