import { describe, expect, it } from 'vitest';
import { CoreErrorCode } from '../../../core/errors.js';
import { loadCoreConfig, parseCoreConfig } from '../../../core/config.js';

const BASE = {
  database: { pgliteDir: 'db' },
  nats: { servers: ['nats://127.0.0.1:4222'] },
  audit: { signingKeyFile: 'k.pem' },
  auth: { bootstrapTokenFile: 'admin-token' },
};

describe('core config', () => {
  it('loads the demo config with defaults filled in', async () => {
    const config = await loadCoreConfig('core/demo/core.yaml', {});
    expect(config.database.pgliteDir).toMatch(/\.zebra\/demo\/core-db$/);
    expect(config.ingest.durableName).toBe('core-ingest');
  });

  it('prefers ZEBRA_DATABASE_URL to PGlite', () => {
    expect(parseCoreConfig(BASE, '/b', { ZEBRA_DATABASE_URL: 'postgres://x/y' }, 't').database.url).toBe(
      'postgres://x/y',
    );
  });

  it.each([
    [{ ...BASE, grpc: { listen: '50051' } }, /grpc\.listen: must be host:port/],
    [{ ...BASE, database: {} }, /database: set database\.url or database\.pgliteDir/],
    [{ ...BASE, ingest: { batchSize: 0 } }, /ingest\.batchSize/],
    [{ ...BASE, extra: true }, /extra/],
    [{ ...BASE, audit: {} }, /audit\.signingKeyFile/],
  ])('rejects %j naming the key', (raw, message) => {
    expect(() => parseCoreConfig(raw, '/b', {}, 'core.yaml')).toThrow(
      expect.objectContaining({ code: CoreErrorCode.CONFIG_INVALID, message: expect.stringMatching(message) }),
    );
  });
});
