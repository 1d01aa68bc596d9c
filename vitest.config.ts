import { defineConfig } from 'vitest/config';

// What a test needs is in its name: `*.docker.test.ts` starts dind daemons or a whole service
// (real dockerd, registry, PostgreSQL), `*.browser.test.ts` drives Chromium as well,
// `*.pg.test.ts` needs PostgreSQL only (a database of its own), and the rest need nothing.
// scripts/test.sh runs the `unit` project with its files side by side, then `lab` one file
// at a time; a plain `vitest run` runs everything one file at a time, which is always safe.
const LAB = ['test/**/*.docker.test.ts', 'test/**/*.browser.test.ts'];

const shared = {
  testTimeout: 120_000,
  hookTimeout: 180_000,
  setupFiles: ['test/helpers/setup.ts'],
  globalSetup: ['test/helpers/build-cli.ts'],
};

export default defineConfig({
  test: {
    // Docker-backed files start their own dind daemons; on two cores they go one file at a time.
    fileParallelism: false,
    projects: [
      { test: { ...shared, name: 'unit', include: ['test/**/*.test.ts'], exclude: LAB } },
      { test: { ...shared, name: 'lab', include: LAB } },
    ],
  },
});
