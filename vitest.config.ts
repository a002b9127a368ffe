import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup/capture-logs.ts'],
    testTimeout: 15_000,
    coverage: {
      provider: 'v8',
      reporter: ['text-summary'],
      include: ['lib/**', 'functions/**', 'dev/**'],
      thresholds: { lines: 85, branches: 80 },
    },
  },
})
