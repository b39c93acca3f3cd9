import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadCoreConfig } from '../../core/config.js';
import { loadEdgeConfig } from '../../edge/config.js';

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
}

const compose = parse(await readFile('docker-compose.yml', 'utf8')) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const { nats, postgres, core, edge } = compose.services;

/** The repository path of a config that the image holds at /app/... */
const inRepo = (command: string[] | undefined): string =>
  command![command!.indexOf('--config') + 1]!.replace(/^\/app\//, '');

describe('docker-compose.yml', () => {
  it('has nats, postgres, core and edge', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['core', 'edge', 'nats', 'postgres']);
  });

  it('runs a current nats image with JetStream stored on a named volume', () => {
    const [, version] = /^nats:(\d+\.\d+)/.exec(nats!.image!)!;
    expect(Number(version)).toBeGreaterThanOrEqual(2.1);
    expect(nats!.command).toContain('-js');
    const storeDir = nats!.command![nats!.command!.indexOf('-sd') + 1];
    const volume = nats!.volumes!.find((v) => v.endsWith(`:${storeDir}`));
    expect(volume && compose.volumes).toHaveProperty(volume!.split(':')[0]!);
  });

  it('points the core at the postgres service with its own credentials, and at nats', async () => {
    const url = new URL(core!.environment!.ZEBRA_DATABASE_URL!);
    const pg = postgres!.environment!;
    expect([url.hostname, url.username, url.password, url.pathname]).toEqual([
      'postgres',
      pg.POSTGRES_USER,
      pg.POSTGRES_PASSWORD,
      `/${pg.POSTGRES_DB}`,
    ]);
    expect(new URL(core!.environment!.ZEBRA_NATS_URL!).hostname).toBe('nats');
    expect(Object.keys(core!.depends_on!).sort()).toEqual(['nats', 'postgres']);
    const config = await loadCoreConfig(inRepo(core!.command), core!.environment!);
    expect(config.database.url).toBe(core!.environment!.ZEBRA_DATABASE_URL);
    expect(config.grpc.listen.startsWith('0.0.0.0:')).toBe(true);
    const keyVolume = core!.volumes!.find((v) => config.audit.signingKeyFile.startsWith(v.split(':')[1]!));
    expect(keyVolume, 'the audit signing key is on a volume of its own').toBeDefined();
    expect(postgres!.volumes).not.toContain(keyVolume);
  });

  it('points the edge at nats with a valid config and a read-only model mirror', async () => {
    expect(new URL(edge!.environment!.ZEBRA_NATS_URL!).hostname).toBe('nats');
    expect(edge!.volumes!.some((v) => v.endsWith(`:${edge!.environment!.ZEBRA_MODELS_MIRROR}:ro`))).toBe(true);
    const config = await loadEdgeConfig(inRepo(edge!.command), edge!.environment!);
    expect(config.nats.servers).toEqual([edge!.environment!.ZEBRA_NATS_URL]);
    expect(edge!.depends_on).toHaveProperty('nats');
  });
});
