import { defineConfig } from 'vitest/config';
import { LongestFirst } from './test/harness/sequencer.js';

export default defineConfig({
  test: {
    globalSetup: ['test/harness/global-setup.ts'],
    // The longest files start first (measured times in test/durations.json).
    sequence: { sequencer: LongestFirst },
    projects: [
      {
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 10_000, sequence: { groupOrder: 0 } },
      },
      {
        test: {
          name: 'integration',
          include: [
            'test/integration/**/*.test.ts',
            'test/security/**/*.test.ts',
            'test/fault/**/*.test.ts',
            'test/e2e/**/*.test.ts',
            'test/browser/**/*.test.ts',
            'test/security/**/*.test.ts',
          ],
          testTimeout: 120_000,
          hookTimeout: 60_000,
          // Real servers and ONNX inference on 2 cores: keep files from starving each other.
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
