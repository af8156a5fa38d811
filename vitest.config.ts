import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: more parallel files only make the media-rendering suites fight for CPU.
    maxWorkers: 2,
    minWorkers: 1,
    // CI asks for a JSON report to prove that no suite was skipped.
    reporters: process.env.MEDIAGATE_TEST_REPORT ? ['default', 'json'] : ['default'],
    ...(process.env.MEDIAGATE_TEST_REPORT ? { outputFile: { json: process.env.MEDIAGATE_TEST_REPORT } } : {}),
  },
});
