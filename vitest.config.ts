import { defineConfig } from 'vitest/config';

// With NATS_URL / DATABASE_URL the test files share servers (and the NATS
// harness purges PARLEY* streams at the start of each file), so run files one
// at a time. Otherwise every file gets its own nats-server and database.
const sharedServers = Boolean(process.env.NATS_URL?.trim() || process.env.DATABASE_URL?.trim());

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    ...(sharedServers ? { fileParallelism: false } : {}),
  },
});
