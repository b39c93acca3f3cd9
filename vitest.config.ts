import { defineConfig } from 'vitest/config';
import { LongestFirst } from './test/harness/sequencer.js';

export default defineConfig({
  test: {
    globalSetup: ['test/harness/global-setup.ts'],
    // The longest files start first (measured times in test/durations.json).
    sequence: { sequencer: LongestFirst },
    projects: [
      {
        // Timeouts are sized from measured durations: beside `stress --cpu 4` (load average 8-13
        // on 2 cores) tests ran 2-3.5x slower than on a quiet machine; the defaults leave 2x above that.
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 30_000, sequence: { groupOrder: 0 } },
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
          // The slowest test on the default, stressed: 115 s (rtsp-events; 42 s quiet).
          testTimeout: 300_000,
          hookTimeout: 180_000,
          // Real servers and ONNX inference on 2 cores: keep files from starving each other.
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
