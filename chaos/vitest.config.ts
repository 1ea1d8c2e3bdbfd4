import { defineConfig } from 'vitest/config';

// One cluster per file and faults on shared engines (Redis, NATS, PostgreSQL): files run one after
// another, never beside each other.
export default defineConfig({
  test: { fileParallelism: false, testTimeout: 180_000, hookTimeout: 240_000 },
});
