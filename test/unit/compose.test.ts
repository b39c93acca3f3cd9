import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadCoreConfig } from '../../core/config.js';
import { loadEdgeConfig } from '../../edge/config.js';
import { HUB_DOMAIN, LEAF_LOCAL_SUBJECTS } from '../../proto/index.js';
import { buildProgram } from '../../cli/main.js';
import { COMPOSE_HUB_NODES, DEPLOY_NATS_FILES, renderHubConf, renderSiteConf } from '../../cli/nats-deploy.js';

interface Service {
  image?: string;
  build?: string;
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
  secrets?: string[];
}

// Compose's YAML merge keys (<<: *anchor) make the hub nodes and core replicas from one block.
const compose = parse(await readFile('docker-compose.yml', 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
  secrets: Record<string, { environment?: string; file?: string }>;
};
const { postgres, core, edge } = compose.services;
const hubNodes = COMPOSE_HUB_NODES.map((name) => compose.services[name]!);
const nats = hubNodes[0];
const core2 = compose.services['core-2'];
const site = compose.services['nats-site'];

/** The repository path of a config that the image holds at /app/... */
const inRepo = (command: string[] | undefined): string =>
  command![command!.indexOf('--config') + 1]!.replace(/^\/app\//, '');

describe('docker-compose.yml', () => {
  it('has the three hub nodes, the site leaf node, postgres, two cores and edge', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'core',
      'core-2',
      'edge',
      'nats-1',
      'nats-2',
      'nats-3',
      'nats-setup',
      'nats-site',
      'postgres',
    ]);
  });

  it('runs the hub as a 3-node cluster: one config, each node its own name, store and routes to all, TLS routes with a route user', async () => {
    const conf = await natsConf(nats!);
    expect(conf).toContain('server_name: $ZEBRA_NATS_NODE_NAME');
    const cluster = conf.split('\n').find((l) => l.startsWith('cluster {'))!;
    expect(cluster).toMatch(/tls \{ cert_file: "[^"]+", key_file: "[^"]+", ca_file: "[^"]+", verify: true/);
    expect(cluster).toContain('authorization { user: "route", password: $ZEBRA_NATS_ROUTE_PASSWORD');
    expect(cluster).toContain('routes: [$ZEBRA_NATS_ROUTE_1, $ZEBRA_NATS_ROUTE_2, $ZEBRA_NATS_ROUTE_3]');
    const stores = new Set<string>();
    hubNodes.forEach((node, i) => {
      const env = node.environment!;
      expect(env.ZEBRA_NATS_NODE_NAME).toBe(COMPOSE_HUB_NODES[i]);
      expect(node.command).toEqual(nats!.command);
      stores.add(node.volumes!.find((v) => v.endsWith(':/data'))!);
      COMPOSE_HUB_NODES.forEach((peer, j) => {
        const route = /^nats-route:\/\/route:(.+)@([^:]+):6222$/.exec(env[`ZEBRA_NATS_ROUTE_${j + 1}`]!);
        expect(route?.[1]).toMatch(/^\$\{ZEBRA_NATS_ROUTE_PASSWORD:\?[^}]+\}$/);
        expect(route?.[2]).toBe(peer);
      });
      expect(env.ZEBRA_NATS_ROUTE_PASSWORD).toMatch(/^\$\{ZEBRA_NATS_ROUTE_PASSWORD:\?[^}]+\}$/);
    });
    expect(stores.size).toBe(3);
    // The core knows every node and has setup make the streams R3.
    const config = await loadCoreConfig(inRepo(core!.command), core!.environment!);
    expect(config.nats.servers.map((s) => new URL(s).hostname)).toEqual([...COMPOSE_HUB_NODES]);
    expect(config.transport.streamReplicas).toBe(3);
    expect(Object.keys(compose.services['nats-setup']!.depends_on!)).toEqual(
      expect.arrayContaining([...COMPOSE_HUB_NODES]),
    );
  });

  it('runs every service built from the image as a zebra command, under its entrypoint or a shell that calls it', async () => {
    const entrypoint = JSON.parse(/^ENTRYPOINT (.+)$/m.exec(await readFile('Dockerfile', 'utf8'))![1]!) as string[];
    expect(entrypoint).toEqual(['node', 'bin/zebra.js']);
    const commands = new Set(buildProgram().commands.map((c) => c.name()));
    const built = Object.entries(compose.services).filter(([, s]) => s.build !== undefined);
    expect(built.length).toBeGreaterThanOrEqual(4);
    for (const [name, service] of built) {
      if (service.entrypoint === undefined) {
        expect(commands, name).toContain(service.command![0]);
        continue;
      }
      // A shell in place of the entrypoint: each command in its script is the image's entrypoint.
      expect(service.entrypoint, name).toEqual(['sh', '-c']);
      const calls = service.command![0]!.split('&&').map((c) => c.trim());
      for (const call of calls) {
        expect(call.startsWith(`${entrypoint.join(' ')} `), `${name}: ${call}`).toBe(true);
        expect(commands, name).toContain(call.split(/\s+/)[2]);
      }
    }
  });

  it('runs two core replicas of one image and config on the same database, NATS secret and audit key volume', () => {
    expect(core2!.command).toEqual(core!.command);
    expect(core2!.environment).toEqual(core!.environment);
    expect(core2!.volumes).toEqual(core!.volumes);
    expect(core2!.secrets).toEqual(core!.secrets);
    expect(core2!.depends_on).toHaveProperty('core');
    expect(core2!.ports).not.toEqual(core!.ports);
  });

  /** The config file a nats service runs with, read from the repository. */
  const natsConf = async (service: Service): Promise<string> => {
    const target = service.command![service.command!.indexOf('-c') + 1]!;
    const mount = service.volumes!.find((v) => v.split(':')[1] === target)!;
    return readFile(mount.split(':')[0]!, 'utf8');
  };

  it('runs current nats images with JetStream stored on named volumes, in the hub and site domains', async () => {
    for (const service of [...hubNodes, site!]) {
      // Major and minor compared as numbers: 2.9 (Debian's) is older than 2.10 (JetStream domains on leaf links).
      const [, major, minor] = /^nats:(\d+)\.(\d+)/.exec(service.image!)!;
      expect([Number(major), Number(minor)]).toSatisfy(([ma, mi]: number[]) => ma! > 2 || (ma === 2 && mi! >= 10));
      const conf = await natsConf(service);
      const storeDir = /store_dir: "([^"]+)"/.exec(conf)![1];
      const volume = service.volumes!.find((v) => v.endsWith(`:${storeDir}`));
      expect(volume && compose.volumes).toHaveProperty(volume!.split(':')[0]!);
    }
    expect(await natsConf(nats!)).toMatch(new RegExp(`domain: "${HUB_DOMAIN}"`));
  });

  it('links the site leaf node to the hub, keeping the site subjects off the link, in the edge site’s domain', async () => {
    const conf = await natsConf(site!);
    // The site signs in as itself, with the secret the hub's leaf user has, both from one
    // variable, to whichever hub node answers.
    const secret = /^\$\{ZEBRA_SITE_LEAF_PASSWORD:\?[^}]+\}$/;
    COMPOSE_HUB_NODES.forEach((node, i) => {
      const siteUrl = /^tls:\/\/compose-site:(.+)@([^:]+):7422$/.exec(
        site!.environment![`ZEBRA_HUB_LEAF_URL_${i + 1}`]!,
      );
      expect(siteUrl?.[1]).toMatch(secret);
      expect(siteUrl?.[2]).toBe(node);
      expect(hubNodes[i]!.environment!.ZEBRA_SITE_LEAF_PASSWORD).toMatch(secret);
    });
    expect(await natsConf(nats!)).toMatch(/\{ user: "compose-site", password: \$ZEBRA_SITE_LEAF_PASSWORD \}/);
    expect(conf).toMatch(
      /remotes: \[ \{ urls: \[\$ZEBRA_HUB_LEAF_URL_1, \$ZEBRA_HUB_LEAF_URL_2, \$ZEBRA_HUB_LEAF_URL_3\], tls \{ ca_file: /,
    );
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
    expect(new URL(config.nats.servers[0]!).hostname).toBe('nats-1');
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
    for (const service of [...hubNodes, site!]) {
      const conf = await natsConf(service);
      expect(conf).toMatch(/^tls \{ cert_file: /m);
      expect(conf).toMatch(/^authorization \{/m);
      // The monitoring port is for the healthcheck inside the container only.
      expect(conf).toContain('http: "127.0.0.1:8222"');
    }
    // Only the hub nodes' leaf ports (TLS and a user per site) and the cores' TLS listeners on
    // loopback; never a route port.
    const published = Object.entries(compose.services).flatMap(([name, s]) =>
      (s.ports ?? []).map((p) => `${name} ${p}`),
    );
    expect(published.sort()).toEqual([
      'core 127.0.0.1:50051:50051',
      'core 127.0.0.1:8080:8080',
      'core-2 127.0.0.1:50052:50051',
      'core-2 127.0.0.1:8081:8080',
      'nats-1 7422:7422',
      'nats-2 7423:7422',
      'nats-3 7424:7422',
    ]);
  });

  it('gives each process its own NATS secret as a file, and the setup identity to the one-shot setup only', async () => {
    const core_ = await loadCoreConfig(inRepo(core!.command), core!.environment!);
    const edge_ = await loadEdgeConfig(inRepo(edge!.command), edge!.environment!);
    const secretOf = (file: string | undefined) => /^\/run\/secrets\/(.+)$/.exec(file ?? '')?.[1];
    expect([core_.nats.user, secretOf(core_.nats.passwordFile)]).toEqual(['core', 'nats_core']);
    expect([edge_.nats.user, secretOf(edge_.nats.passwordFile)]).toEqual([edge_.deviceId, 'nats_device']);
    expect(core!.secrets).toEqual(['nats_core']);
    expect(core2!.secrets).toEqual(['nats_core']);
    expect(edge!.secrets).toEqual(['nats_device']);
    expect(compose.services['nats-setup']!.secrets!.sort()).toEqual(['nats_hub_setup', 'nats_site_setup']);
    for (const secret of Object.values(compose.secrets)) expect(secret.environment).toMatch(/^ZEBRA_NATS_/);
    expect(await natsConf(site!)).toContain(`{ user: "${edge_.deviceId}", password: $ZEBRA_NATS_DEVICE_PASSWORD,`);
    expect(postgres!.environment!.POSTGRES_PASSWORD).toMatch(/^\$\{ZEBRA_POSTGRES_PASSWORD:\?/);
  });
});
