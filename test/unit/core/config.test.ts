import { describe, expect, it } from 'vitest';
import { CoreErrorCode } from '../../../core/errors.js';
import { loadCoreConfig, parseCoreConfig } from '../../../core/config.js';

const BASE = {
  database: { pgliteDir: 'db' },
  nats: { servers: ['nats://127.0.0.1:4222'], passwordFile: 'nats-core.secret', caFile: 'pki/ca.pem' },
  audit: { signingKeyFile: 'k.pem' },
  auth: { bootstrapTokenFile: 'admin-token' },
  grpc: { tls: { certFile: 'pki/core.pem', keyFile: 'pki/core-key.pem' } },
  http: { tls: { certFile: 'pki/core.pem', keyFile: 'pki/core-key.pem' } },
};

describe('core config', () => {
  it('reports every problem at once, each naming its key', () => {
    const raw = {
      ...BASE,
      audit: { signingKeyFile: 'k.pem', checkpointIntervalMs: 5 },
      transport: { sites: ['no spaces'], streamReplicas: 2 },
      extra: true,
    };
    expect(() => parseCoreConfig(raw, '/b', {}, 'core.yaml')).toThrow(
      expect.objectContaining({
        code: CoreErrorCode.CONFIG_INVALID,
        message: expect.stringMatching(
          /^core\.yaml: 4 problems:\n {2}.*(?=[\s\S]*audit\.checkpointIntervalMs: )(?=[\s\S]*transport\.sites\.0: )(?=[\s\S]*transport\.streamReplicas: must be 1, 3 or 5)(?=[\s\S]*extra)/,
        ),
      }),
    );
  });

  it('loads the demo config with defaults filled in', async () => {
    const config = await loadCoreConfig('core/demo/core.yaml', {});
    expect(config.database.pgliteDir).toMatch(/\.zebra\/demo\/core-db$/);
    expect(config.ingest.durableName).toBe('core-ingest');
  });

  it('resolves the TLS files relative to the config, like every other path', () => {
    const config = parseCoreConfig(
      { ...BASE, grpc: { tls: { ...BASE.grpc.tls, clientCaFile: '/etc/zebra/ca.pem' } } },
      '/b',
      {},
      't',
    );
    expect(config.grpc.tls).toEqual({
      certFile: '/b/pki/core.pem',
      keyFile: '/b/pki/core-key.pem',
      clientCaFile: '/etc/zebra/ca.pem',
    });
    expect(config.http.tls.certFile).toBe('/b/pki/core.pem');
  });

  it('paces retention by default: passes of 100, 100 ms apart, at most 20,000 items an hour', () => {
    const { retention } = parseCoreConfig(BASE, '/b', {}, 't');
    expect(retention).toMatchObject({ itemsPerPass: 100, passPauseMs: 100, maxItemsPerHour: 20_000 });
  });

  it('prefers ZEBRA_DATABASE_URL to PGlite', () => {
    expect(parseCoreConfig(BASE, '/b', { ZEBRA_DATABASE_URL: 'postgres://x/y' }, 't').database.url).toBe(
      'postgres://x/y',
    );
  });

  it.each([
    [{ ...BASE, grpc: { ...BASE.grpc, listen: '50051' } }, /grpc\.listen: must be host:port/],
    [{ ...BASE, grpc: { listen: '127.0.0.1:50051' } }, /grpc\.tls: required: .*zebra pki init/],
    [{ ...BASE, http: undefined }, /http\.tls: required: .*zebra pki issue/],
    [{ ...BASE, http: { tls: { certFile: 'c.pem', keyFile: 'k.pem', ca: 'x' } } }, /http\.tls: .*ca/],
    [{ ...BASE, database: {} }, /database: set database\.url or database\.pgliteDir/],
    [{ ...BASE, ingest: { batchSize: 0 } }, /ingest\.batchSize/],
    [{ ...BASE, extra: true }, /extra/],
    [{ ...BASE, audit: {} }, /audit\.signingKeyFile/],
    [{ ...BASE, retention: { itemsPerPass: 0 } }, /retention\.itemsPerPass/],
    [{ ...BASE, retention: { itemsPerPass: 5000 } }, /retention\.itemsPerPass/],
    [{ ...BASE, retention: { maxItemsPerHour: 0 } }, /retention\.maxItemsPerHour/],
    [{ ...BASE, retention: { passPauseMs: -1 } }, /retention\.passPauseMs/],
  ])('rejects %j naming the key', (raw, message) => {
    expect(() => parseCoreConfig(raw, '/b', {}, 'core.yaml')).toThrow(
      expect.objectContaining({ code: CoreErrorCode.CONFIG_INVALID, message: expect.stringMatching(message) }),
    );
  });
});
