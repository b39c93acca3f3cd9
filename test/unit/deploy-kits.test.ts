import { readFile, stat } from 'node:fs/promises';
import { dirname, join, normalize, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadCoreConfig } from '../../core/config.js';
import { parseEdgeConfig } from '../../edge/config.js';
import {
  DEPLOY_NATS_FILES,
  SITE_KIT_CONTROLLERS,
  controllerPasswordEnv,
  renderHubConf,
  renderSiteConf,
} from '../../cli/nats-deploy.js';

/**
 * deploy/hub/compose.yml and deploy/site/compose.yml, read as docker compose reads them (no
 * Docker engine here: the files are parsed and checked, the configs they mount are loaded with
 * the real schemas, and the hub's NATS config is the one test/integration/nats-cluster.test.ts
 * boots as a 3-node cluster).
 */
interface Service {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  secrets?: string[];
  restart?: string;
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
}
interface Compose {
  services: Record<string, Service>;
  secrets: Record<string, { environment?: string; file?: string }>;
  volumes: Record<string, unknown>;
  'x-operator-provided': string[];
}

const KITS = { hub: 'deploy/hub', site: 'deploy/site' } as const;
const load = async (dir: string): Promise<Compose> =>
  parse(await readFile(join(dir, 'compose.yml'), 'utf8'), { merge: true }) as Compose;
const kits = { hub: await load(KITS.hub), site: await load(KITS.site) };
const version = (JSON.parse(await readFile('package.json', 'utf8')) as { version: string }).version;
const deployment = await readFile('docs/deployment.md', 'utf8');

/** A bind mount's source as the default environment resolves it, relative to the compose file. */
const withDefaults = (source: string): string => source.replace(/\$\{([A-Z_]+):-([^}]+)\}/g, '$2');
/** source:target[:ro] of a short volume entry (a source may hold `${VAR:-default}`). */
const splitVolume = (v: string): { source: string; target: string } => {
  const m = /^((?:\$\{[^}]+\}|[^:$])+):([^:]+)(?::ro)?$/.exec(v);
  expect(m, v).not.toBeNull();
  return { source: m![1]!, target: m![2]! };
};
const isBind = (source: string): boolean => source.startsWith('.') || source.startsWith('$');
const binds = (service: Service): { source: string; target: string }[] =>
  (service.volumes ?? []).map(splitVolume).filter((v) => isBind(v.source));
const targets = (service: Service): string[] => (service.volumes ?? []).map((v) => splitVolume(v).target);
/** The repository file a container path comes from, through the service's bind mounts. */
const repoPathOf = (dir: string, service: Service, containerPath: string): string => {
  const mount = binds(service).find((b) => containerPath === b.target || containerPath.startsWith(`${b.target}/`));
  expect(mount, `${containerPath} is mounted`).toBeDefined();
  return normalize(join(dir, withDefaults(mount!.source), containerPath.slice(mount!.target.length)));
};
const configOf = (dir: string, service: Service): string =>
  repoPathOf(dir, service, service.command![service.command!.indexOf('--config') + 1]!);

describe.each(Object.entries(KITS))('deploy/%s/compose.yml', (kit, dir) => {
  const compose = kits[kit as keyof typeof kits];

  it('gives every service a restart policy and a healthcheck (one-shot setup: on-failure, none)', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      expect(['unless-stopped', 'on-failure'], name).toContain(service.restart);
      if (service.restart === 'on-failure') {
        expect(service.healthcheck, name).toEqual({ disable: true });
        // Others wait for it to finish, not to be healthy.
        const waiting = Object.values(compose.services).filter((s) => s.depends_on?.[name]);
        expect(waiting.length, name).toBeGreaterThan(0);
        for (const s of waiting) expect(s.depends_on![name]!.condition).toBe('service_completed_successfully');
      } else expect(service.healthcheck?.test?.[0], name).toBe('CMD');
    }
  });

  it('pins every image by its full version (PostgreSQL: major.minor), its own image to the package version', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      const full = service.image?.startsWith('postgres:')
        ? /^postgres:\d+\.\d+-alpine$/
        : /^[a-z0-9./-]+:\d+\.\d+\.\d+(-alpine)?$/;
      expect(service.image, name).toMatch(service.image?.includes('@sha256:') ? /@sha256:[0-9a-f]{64}$/ : full);
      if (service.build !== undefined) expect(service.image, name).toBe(`zebra:${version}`);
    }
  });

  it('writes no secret: passwords come from the environment or secret files', () => {
    const text = JSON.stringify(compose.services);
    for (const [name, service] of Object.entries(compose.services))
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        if (/PASSWORD|SECRET|TOKEN/.test(key) && !key.endsWith('_FILE'))
          expect(value, `${name} ${key}`).toMatch(/^\$\{[A-Z0-9_]+:\?[^}]+\}$/);
        if (key.endsWith('_FILE')) expect(value, `${name} ${key}`).toMatch(/^\/run\/secrets\//);
        // Credentials inside URLs: only a variable stands where the password goes.
        const userinfo = /^[a-z-]+:\/\/[^:/@]+:([^@]+)@/.exec(value);
        if (userinfo) expect(userinfo[1], `${name} ${key}`).toMatch(/^\$\{[A-Z0-9_]+:\?[^}]+\}$/);
      }
    expect(text).not.toMatch(/password["']?\s*[:=]\s*["'][^$]/i);
    for (const [name, secret] of Object.entries(compose.secrets)) {
      expect(secret.environment, name).toMatch(/^ZEBRA_[A-Z0-9_]+$/);
      expect(secret.file).toBeUndefined();
    }
  });

  it('mounts only files in this folder or operator-provided ones the deployment guide makes', async () => {
    const provided = compose['x-operator-provided'];
    for (const file of provided)
      expect(deployment, `docs/deployment.md names ${file}`).toContain(withDefaults(file).replace(/^\.\//, ''));
    for (const [name, service] of Object.entries(compose.services))
      for (const { source } of binds(service)) {
        if (provided.includes(source)) continue;
        const file = join(dir, source);
        expect(
          await stat(file).then(
            (s) => s.isFile(),
            () => false,
          ),
          `${name}: ${file} is in the repository`,
        ).toBe(true);
      }
  });

  it('keeps state on named volumes the image owns, and hands each service only its own secrets', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const v of service.volumes ?? []) {
        const { source } = splitVolume(v);
        if (!isBind(source)) expect(compose.volumes, name).toHaveProperty(source);
      }
      for (const s of service.secrets ?? []) expect(compose.secrets, name).toHaveProperty(s);
    }
  });
});

describe('the hub kit', () => {
  const { services } = kits.hub;
  const core = services.core!;

  it('runs three NATS nodes on the config that nats-cluster.test boots, and the core on a valid config', async () => {
    const nodes = ['nats-1', 'nats-2', 'nats-3'].map((n) => services[n]!);
    for (const node of nodes) {
      expect(repoPathOf(KITS.hub, node, '/etc/nats/hub.conf')).toBe(normalize(DEPLOY_NATS_FILES.hub));
      expect(node.environment!.ZEBRA_NATS_ROUTE_1).toMatch(/@nats-1:6222$/);
    }
    expect(new Set(nodes.map((n) => n.environment!.ZEBRA_NATS_NODE_NAME)).size).toBe(3);
    expect(await readFile(DEPLOY_NATS_FILES.hub, 'utf8'), 'run npm run gen:nats').toBe(renderHubConf());
    const config = await loadCoreConfig(configOf(KITS.hub, core), {
      ZEBRA_DATABASE_URL: 'postgres://zebra:x@postgres/zebra',
    });
    expect(config.transport.streamReplicas).toBe(3);
    expect(config.nats.servers.map((s) => new URL(s).hostname)).toEqual(['nats-1', 'nats-2', 'nats-3']);
    // Every file the core config names is mounted: TLS, the NATS secret, the state volume.
    for (const file of [config.grpc.tls.certFile, config.grpc.tls.keyFile, config.nats.caFile])
      expect(targets(core)).toContain(file);
    expect(config.nats.passwordFile).toBe(`/run/secrets/${core.secrets![0]}`);
    expect(config.audit.signingKeyFile.startsWith('/var/lib/zebra/')).toBe(true);
    expect(core.volumes).toContain('core-state:/var/lib/zebra');
    expect(core.environment!.ZEBRA_DATABASE_URL).toMatch(
      /^postgres:\/\/zebra:\$\{ZEBRA_POSTGRES_PASSWORD:\?[^}]+\}@postgres:5432\/zebra$/,
    );
    expect(services.postgres!.environment!.POSTGRES_PASSWORD_FILE).toBe('/run/secrets/postgres_password');
  });

  it('publishes the console on loopback only (the reverse proxy faces the network) and never a route or client port', () => {
    const published = Object.entries(services).flatMap(([n, s]) => (s.ports ?? []).map((p) => `${n} ${p}`));
    expect(published.sort()).toEqual([
      'core 127.0.0.1:8080:8080',
      'core 50051:50051',
      'nats-1 7422:7422',
      'nats-2 7423:7422',
      'nats-3 7424:7422',
    ]);
    expect(deployment).toMatch(/reverse proxy/i);
  });
});

describe('the site kit', () => {
  const { services } = kits.site;
  const edge = services.edge!;

  it('runs an edge with a mounted two-camera config that the real schema accepts, every file it names mounted', async () => {
    // The schema alone: the controller keys it names are the operator's, mounted at run time
    // (loadEdgeConfig also checks that they can be read; here they are checked to be mounted).
    const file = configOf(KITS.site, edge);
    const config = parseEdgeConfig(parse(await readFile(file, 'utf8')), dirname(resolve(file)), {}, file);
    expect(config.cameras.map((c) => c.id)).toEqual(['south', 'north']);
    for (const camera of config.cameras) {
      expect(camera.source.input).toMatch(/^rtsp:\/\//);
      expect(targets(edge).some((t) => camera.signal.controller!.keyFile.startsWith(`${t}/`))).toBe(true);
    }
    expect(config.cameras.map((c) => c.signal.controller!.id)).toEqual([...SITE_KIT_CONTROLLERS]);
    for (const file of [
      config.nats.caFile!,
      config.outbox!.coreKeyFile,
      config.http.tls!.certFile,
      config.http.tls!.keyFile,
    ])
      expect(targets(edge), file).toContain(file);
    expect(config.nats.passwordFile).toBe(`/run/secrets/${edge.secrets![0]}`);
    expect(config.stateDir.startsWith('/var/lib/zebra/')).toBe(true);
    expect(edge.volumes).toContain('edge-state:/var/lib/zebra');
    expect(edge.healthcheck!.test).toContain(`https://127.0.0.1:${config.http.listen!.split(':')[1]}/healthz`);
    // The site the hub kit's core expects, on the leaf user the hub's config has.
    const core = await loadCoreConfig(configOf(KITS.hub, kits.hub.services.core!), {});
    expect(core.transport.sites).toContain(config.siteId);
    expect(await readFile(DEPLOY_NATS_FILES.hub, 'utf8')).toContain(
      `{ user: "${config.siteId}", password: $ZEBRA_SITE_LEAF_PASSWORD }`,
    );
  });

  it("runs the leaf node on the rendered site config with the device's and each controller's secret from the environment", async () => {
    const site = services['nats-site']!;
    expect(repoPathOf(KITS.site, site, '/etc/nats/site.conf')).toBe(normalize(DEPLOY_NATS_FILES.siteKit));
    const conf = await readFile(DEPLOY_NATS_FILES.siteKit, 'utf8');
    expect(conf, 'run npm run gen:nats').toBe(renderSiteConf(SITE_KIT_CONTROLLERS));
    const variables = [...conf.matchAll(/\$(ZEBRA_[A-Z0-9_]+)/g)].map((m) => m[1]!);
    expect(variables).toEqual(expect.arrayContaining(SITE_KIT_CONTROLLERS.map(controllerPasswordEnv)));
    for (const variable of variables) expect(Object.keys(site.environment!), variable).toContain(variable);
  });
});

describe('Dockerfile', () => {
  it('creates the state folder for the user it runs as, pins its base by version, and ships the healthcheck', async () => {
    const text = await readFile('Dockerfile', 'utf8');
    expect(text).toMatch(/^FROM node:\d+\.\d+\.\d+-bookworm-slim$/m);
    expect(text).toMatch(/mkdir -p \/var\/lib\/zebra && chown node:node \/var\/lib\/zebra/);
    const user = text.indexOf('USER node');
    expect(user).toBeGreaterThan(text.indexOf('chown node:node /var/lib/zebra'));
    expect(text).toContain('COPY deploy/healthcheck.js ./deploy/healthcheck.js');
  });
});
