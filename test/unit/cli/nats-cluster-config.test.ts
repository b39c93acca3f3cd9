import { describe, expect, it } from 'vitest';
import { parseCoreConfig } from '../../../core/config.js';
import { parseReplicas } from '../../../cli/nats-setup.js';
import { renderNatsConfig } from '../../../cli/nats-server.js';
import type { NatsClusterOptions, NatsServerOptions } from '../../../cli/nats-server.js';

const TLS = { certFile: '/pki/node.pem', keyFile: '/pki/node-key.pem', caFile: '/pki/ca.pem' };
const CLUSTER: NatsClusterOptions = {
  name: 'hub',
  port: 6222,
  routes: ['127.0.0.1:6223', 'hub-2.example:6222'],
  credentials: { user: 'route', password: 'a-route-secret-of-24-chars' },
};
const node = (cluster: Partial<NatsClusterOptions>, extra: Partial<NatsServerOptions> = {}): NatsServerOptions => ({
  storeDir: '/data',
  port: 4222,
  name: 'hub-0',
  users: [{ user: 'setup', password: 'x' }],
  tls: TLS,
  cluster: { ...CLUSTER, ...cluster },
  ...extra,
});

describe('nats-server cluster section', () => {
  it('routes over TLS with client certificates both ways and the route user in every route URL', () => {
    const conf = renderNatsConfig(node({}), undefined);
    const line = conf.split('\n').find((l) => l.startsWith('cluster {'))!;
    expect(line).toContain('listen: "127.0.0.1:6222"');
    expect(line).toContain('verify: true');
    expect(line).toContain(`ca_file: "${TLS.caFile}"`);
    expect(line).toContain('authorization { user: "route", password: "a-route-secret-of-24-chars"');
    expect(line).toContain(
      'routes: ["nats-route://route:a-route-secret-of-24-chars@127.0.0.1:6223", ' +
        '"nats-route://route:a-route-secret-of-24-chars@hub-2.example:6222"]',
    );
  });

  it.each([
    [{ name: 'a hub' }, /^cluster\.name: /],
    [{ port: 0 }, /^cluster\.port: /],
    [{ routes: [] }, /^cluster\.routes: at least one/],
    [{ routes: ['127.0.0.1:6223', 'nats://x:1'] }, /^cluster\.routes\[1\]: must be host:port/],
    [{ credentials: { user: 'route', password: 'short' } }, /^cluster\.credentials\.password: must be at least 16/],
    [{ credentials: { user: '', password: 'a-route-secret-of-24-chars' } }, /^cluster\.credentials\.user: /],
  ])('refuses %j, naming the key', (bad, message) => {
    expect(() => renderNatsConfig(node(bad), undefined)).toThrow(message);
  });

  it('a cluster node needs its own server name', () => {
    expect(() => renderNatsConfig(node({}, { name: '' }), undefined)).toThrow(/^name: /);
  });

  it('a site leaf node may name several hub URLs (one per cluster node)', () => {
    const conf = renderNatsConfig(
      {
        storeDir: '/data',
        port: 4222,
        users: [{ user: 'setup', password: 'x' }],
        tls: TLS,
        leafRemoteUrl: ['nats://127.0.0.1:7422', 'nats://127.0.0.1:7423'],
        leafCredentials: { user: 'site-1', password: 'p' },
      },
      undefined,
    );
    expect(conf).toContain('urls: ["tls://site-1:p@127.0.0.1:7422", "tls://site-1:p@127.0.0.1:7423"]');
  });

  it('--replicas takes 1, 3 or 5', () => {
    expect(parseReplicas(undefined)).toBeUndefined();
    expect(parseReplicas('3')).toBe(3);
    expect(() => parseReplicas('2')).toThrow(/^--replicas: must be 1, 3 or 5/);
  });

  it('transport.streamReplicas: 1 by default, 1, 3 or 5, an error naming the key otherwise', () => {
    const raw = (transport: Record<string, unknown>): unknown => ({
      database: { pgliteDir: 'db' },
      nats: { servers: ['nats://x:4222'], passwordFile: 'p', caFile: 'c' },
      grpc: { tls: { certFile: 'c', keyFile: 'k' } },
      http: { tls: { certFile: 'c', keyFile: 'k' } },
      audit: { signingKeyFile: 'k' },
      auth: { bootstrapTokenFile: 't' },
      transport,
    });
    expect(parseCoreConfig(raw({}), '/', {}, 'core.yaml').transport.streamReplicas).toBe(1);
    expect(parseCoreConfig(raw({ streamReplicas: 3 }), '/', {}, 'core.yaml').transport.streamReplicas).toBe(3);
    expect(() => parseCoreConfig(raw({ streamReplicas: 2 }), '/', {}, 'core.yaml')).toThrow(
      'core.yaml: transport.streamReplicas: must be 1, 3 or 5',
    );
  });
});
