import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // Spawned CLI processes start in 2–5 s on an idle machine and 15 s on a loaded one.
    testTimeout: 90_000,
    hookTimeout: 60_000,
  },
});
