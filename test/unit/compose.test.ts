import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadCoreConfig } from '../../core/config.js';
import { loadEdgeConfig } from '../../edge/config.js';
import { HUB_DOMAIN, LEAF_LOCAL_SUBJECTS } from '../../proto/index.js';
import { DEPLOY_NATS_FILES, renderHubConf, renderSiteConf } from '../../cli/nats-deploy.js';

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
  secrets?: string[];
}

const compose = parse(await readFile('docker-compose.yml', 'utf8')) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
  secrets: Record<string, { environment?: string; file?: string }>;
};
const { nats, postgres, core, edge } = compose.services;
const site = compose.services['nats-site'];

/** The repository path of a config that the image holds at /app/... */
const inRepo = (command: string[] | undefined): string =>
  command![command!.indexOf('--config') + 1]!.replace(/^\/app\//, '');

describe('docker-compose.yml', () => {
  it('has the hub nats, the site leaf node, postgres, core and edge', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'core',
      'edge',
      'nats',
      'nats-setup',
      'nats-site',
      'postgres',
    ]);
  });

  /** The config file a nats service runs with, read from the repository. */
  const natsConf = async (service: Service): Promise<string> => {
    const target = service.command![service.command!.indexOf('-c') + 1]!;
    const mount = service.volumes!.find((v) => v.split(':')[1] === target)!;
    return readFile(mount.split(':')[0]!, 'utf8');
  };

  it('runs current nats images with JetStream stored on named volumes, in the hub and site domains', async () => {
    for (const service of [nats!, site!]) {
      const [, version] = /^nats:(\d+\.\d+)/.exec(service.image!)!;
      expect(Number(version)).toBeGreaterThanOrEqual(2.1);
      const conf = await natsConf(service);
      const storeDir = /store_dir: "([^"]+)"/.exec(conf)![1];
      const volume = service.volumes!.find((v) => v.endsWith(`:${storeDir}`));
      expect(volume && compose.volumes).toHaveProperty(volume!.split(':')[0]!);
    }
    expect(await natsConf(nats!)).toMatch(new RegExp(`domain: "${HUB_DOMAIN}"`));
  });

  it('links the site leaf node to the hub, keeping the site subjects off the link, in the edge site’s domain', async () => {
    const conf = await natsConf(site!);
    expect(conf).toContain('url: $ZEBRA_HUB_LEAF_URL');
    // The site signs in as itself, with the secret the hub's leaf user has, both from one variable.
    const secret = /^\$\{ZEBRA_SITE_LEAF_PASSWORD:\?[^}]+\}$/;
    const siteUrl = /^tls:\/\/compose-site:(.+)@nats:7422$/.exec(site!.environment!.ZEBRA_HUB_LEAF_URL!);
    expect(siteUrl?.[1]).toMatch(secret);
    expect(nats!.environment!.ZEBRA_SITE_LEAF_PASSWORD).toMatch(secret);
    expect(await natsConf(nats!)).toMatch(/\{ user: "compose-site", password: \$ZEBRA_SITE_LEAF_PASSWORD \}/);
    expect(conf).toMatch(/remotes: \[ \{ url: \$ZEBRA_HUB_LEAF_URL, tls \{ ca_file: /);
    const list = `[${LEAF_LOCAL_SUBJECTS.map((s) => JSON.stringify(s)).join(', ')}]`;
    expect(conf).toContain(`deny_exports: ${list}`);
    expect(conf).toContain(`deny_imports: ${list}`);
    const edgeConfig = await loadEdgeConfig(inRepo(edge!.command), edge!.environment!);
    expect(conf).toContain(`domain: "${edgeConfig.siteId}"`);
    expect(edgeConfig.outbox?.hubDomain).toBe(HUB_DOMAIN);
    const coreConfig = await loadCoreConfig(inRepo(core!.command), core!.environment!);
    expect(coreConfig.transport.sites).toContain(edgeConfig.siteId);
  });

  it('points the core at the postgres service with its own credentials, and at nats', async () => {
    // The password is the same variable in both, never a value in the file.
    const variable = /\$\{ZEBRA_POSTGRES_PASSWORD:\?[^}]+\}/;
    const pg = postgres!.environment!;
    expect(pg.POSTGRES_PASSWORD).toMatch(variable);
    const url = new URL(core!.environment!.ZEBRA_DATABASE_URL!.replace(variable, 'from-env'));
    expect([url.hostname, url.username, url.password, url.pathname]).toEqual([
      'postgres',
      pg.POSTGRES_USER,
      'from-env',
      `/${pg.POSTGRES_DB}`,
    ]);
    expect(Object.keys(core!.depends_on!).sort()).toEqual(['nats-setup', 'postgres']);
    const config = await loadCoreConfig(inRepo(core!.command), core!.environment!);
    expect(new URL(config.nats.servers[0]!).hostname).toBe('nats');
    expect(config.database.url).toBe(core!.environment!.ZEBRA_DATABASE_URL);
    expect(config.grpc.listen.startsWith('0.0.0.0:')).toBe(true);
    const keyVolume = core!.volumes!.find((v) => config.audit.signingKeyFile.startsWith(v.split(':')[1]!));
    expect(keyVolume, 'the audit signing key is on a volume of its own').toBeDefined();
    expect(postgres!.volumes).not.toContain(keyVolume);
  });

  it('mounts the core certificate and key read-only where its config looks for them, and never the CA key', async () => {
    const config = await loadCoreConfig(inRepo(core!.command), core!.environment!);
    const readOnlyTargets = core!.volumes!.filter((v) => v.endsWith(':ro')).map((v) => v.split(':').at(-2));
    for (const file of [
      config.grpc.tls.certFile,
      config.grpc.tls.keyFile,
      config.http.tls.certFile,
      config.http.tls.keyFile,
    ])
      expect(readOnlyTargets, file).toContain(file);
    for (const [name, service] of Object.entries(compose.services))
      expect(service.volumes?.filter((v) => v.includes('ca-key')) ?? [], name).toEqual([]);
  });

  it('points the edge at its site leaf node with a valid config and a read-only model mirror', async () => {
    expect(edge!.volumes!.some((v) => v.endsWith(`:${edge!.environment!.ZEBRA_MODELS_MIRROR}:ro`))).toBe(true);
    const config = await loadEdgeConfig(inRepo(edge!.command), edge!.environment!);
    expect(new URL(config.nats.servers[0]!).hostname).toBe('nats-site');
    expect(edge!.depends_on).toHaveProperty('nats-setup');
  });

  it('ships the nats-server configs rendered from the tested permission lists', async () => {
    expect(await readFile(DEPLOY_NATS_FILES.hub, 'utf8'), 'run npm run gen:nats').toBe(renderHubConf());
    expect(await readFile(DEPLOY_NATS_FILES.site, 'utf8'), 'run npm run gen:nats').toBe(renderSiteConf());
  });

  it('runs no nats-server without TLS and users, and publishes no port without TLS', async () => {
    for (const service of [nats!, site!]) {
      const conf = await natsConf(service);
      expect(conf).toMatch(/^tls \{ cert_file: /m);
      expect(conf).toMatch(/^authorization \{/m);
      // The monitoring port is for the healthcheck inside the container only.
      expect(conf).toContain('http: "127.0.0.1:8222"');
    }
    // Only the hub's leaf port (TLS and a user per site) and the core's TLS listeners on loopback.
    const published = Object.entries(compose.services).flatMap(([name, s]) =>
      (s.ports ?? []).map((p) => `${name} ${p}`),
    );
    expect(published.sort()).toEqual(['core 127.0.0.1:50051:50051', 'core 127.0.0.1:8080:8080', 'nats 7422:7422']);
  });

  it('gives each process its own NATS secret as a file, and the setup identity to the one-shot setup only', async () => {
    const core_ = await loadCoreConfig(inRepo(core!.command), core!.environment!);
    const edge_ = await loadEdgeConfig(inRepo(edge!.command), edge!.environment!);
    const secretOf = (file: string | undefined) => /^\/run\/secrets\/(.+)$/.exec(file ?? '')?.[1];
    expect([core_.nats.user, secretOf(core_.nats.passwordFile)]).toEqual(['core', 'nats_core']);
    expect([edge_.nats.user, secretOf(edge_.nats.passwordFile)]).toEqual([edge_.deviceId, 'nats_device']);
    expect(core!.secrets).toEqual(['nats_core']);
    expect(edge!.secrets).toEqual(['nats_device']);
    expect(compose.services['nats-setup']!.secrets!.sort()).toEqual(['nats_hub_setup', 'nats_site_setup']);
    for (const secret of Object.values(compose.secrets)) expect(secret.environment).toMatch(/^ZEBRA_NATS_/);
    expect(await natsConf(site!)).toContain(`{ user: "${edge_.deviceId}", password: $ZEBRA_NATS_DEVICE_PASSWORD,`);
    expect(postgres!.environment!.POSTGRES_PASSWORD).toMatch(/^\$\{ZEBRA_POSTGRES_PASSWORD:\?/);
  });
});
