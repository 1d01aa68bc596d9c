import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Docker-backed files start their own dind daemons; on two cores they go one file at a time.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    setupFiles: ['test/helpers/setup.ts'],
    globalSetup: ['test/helpers/build-cli.ts'],
  },
});
