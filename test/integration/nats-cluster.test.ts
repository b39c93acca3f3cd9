import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { renderHubConf } from '../../cli/nats-deploy.js';
import { freePorts, stopProcess } from '../../cli/nats-server.js';
import { connect as tlsConnect } from 'node:tls';
import { connect as tcpConnect } from 'node:net';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { setupHub } from '../../cli/nats-setup.js';
import { parseCoreConfig } from '../../core/index.js';
import { EVIDENCE_BUCKET, INFRACTIONS_STREAM, RECEIPTS_STREAM, eventSubject } from '../../proto/index.js';
import { startTestNatsCluster } from '../harness/nats-cluster.js';
import { startTestSite } from '../harness/nats.js';
import { testPki } from '../harness/pki.js';
import { natsEnvSecret } from '../harness/secrets.js';
import { tempDir, waitFor } from '../harness/temp.js';

const SITE = 'test-site';

/** A core config with `transport`, enough for setup. */
function coreConfig(transport: Record<string, unknown>): ReturnType<typeof parseCoreConfig> {
  return parseCoreConfig(
    {
      database: { pgliteDir: 'unused' },
      nats: { servers: ['nats://unused'], passwordFile: 'unused', caFile: 'unused' },
      grpc: { tls: { certFile: 'unused', keyFile: 'unused' } },
      http: { tls: { certFile: 'unused', keyFile: 'unused' } },
      audit: { signingKeyFile: 'unused' },
      auth: { bootstrapTokenFile: 'unused' },
      transport,
    },
    '/tmp',
    {},
    'test',
  );
}

/** The first line a route port says to a plain TCP client, or '' if it says nothing within 3 s. */
function firstWords(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port });
    let text = '';
    const done = (): void => {
      socket.destroy();
      resolve(text);
    };
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) done();
    });
    socket.on('error', done);
    setTimeout(done, 3_000);
  });
}

/**
 * A TLS session with a route port: what the server says after a CONNECT as the route user with
 * `password`, or "handshake failed: ..." when TLS is refused.
 */
function routeSession(port: number, tls: { ca: Buffer; cert?: Buffer; key?: Buffer }, password = ''): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    let isHandshaken = false;
    const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ...tls }, () => {
      isHandshaken = true;
      socket.write(
        `CONNECT ${JSON.stringify({ verbose: false, pedantic: false, user: 'route', pass: password })}\r\nPING\r\n`,
      );
    });
    const end = (err?: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(isHandshaken ? text : `handshake failed: ${err?.message ?? 'closed'}`);
    };
    const timer = setTimeout(() => end(), 5_000);
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('error', end);
    socket.on('close', () => end());
  });
}

describe('a 3-node JetStream cluster as the hub', { timeout: 120_000 }, () => {
  it('setup makes R3 streams, a site leaf connects, and a node lost loses nothing', async () => {
    await using hub = await startTestNatsCluster(3);
    const nc = await hub.connect();
    try {
      await setupHub(nc, coreConfig({ sites: [SITE], streamReplicas: 3 }));
      const jsm = await jetstreamManager(nc);
      for (const stream of [INFRACTIONS_STREAM, RECEIPTS_STREAM, `OBJ_${EVIDENCE_BUCKET}`]) {
        const info = await jsm.streams.info(stream);
        expect(info.config.num_replicas).toBe(3);
        expect((info.cluster?.replicas ?? []).length).toBe(2);
      }
      const durable = await jsm.consumers.info(INFRACTIONS_STREAM, 'core-ingest');
      expect((durable.cluster?.replicas ?? []).length).toBe(2);

      // A site's leaf node with all three leaf URLs: the hub sources its outbox across the link.
      await using site = await startTestSite(SITE, hub.leafUrls, undefined, { devices: ['dev-1'] });
      const siteNc = await site.connect();
      await jetstream(siteNc).publish(eventSubject(SITE, 'dev-1', 'cam-1'), new Uint8Array([1]), { msgID: 'site-1' });
      await siteNc.close();
      await waitFor('the site event sourced into the hub', async () => {
        const info = await jsm.streams.info(INFRACTIONS_STREAM);
        return info.state.messages === 1 ? true : undefined;
      });
      expect((await readFile(site.logFile, 'utf8')).match(/Leafnode connection created/g)?.length ?? 0).toBe(1);

      const js = jetstream(nc);
      const subject = `zebra.v1.events.other-site.dev.cam`;
      for (let i = 0; i < 20; i++) await js.publish(subject, new Uint8Array([i]), { msgID: `before-${i}` });
      // One node gone, streams go on with the two left (a quorum of three).
      const leader = (await jsm.streams.info(INFRACTIONS_STREAM)).cluster?.leader;
      const victim = hub.nodes.find((n) => n.name === leader)!;
      await victim.kill();
      expect(victim.isRunning).toBe(false);
      await waitFor(
        'a new stream leader',
        async () => {
          const info = await jsm.streams.info(INFRACTIONS_STREAM).catch(() => undefined);
          return info?.cluster?.leader && info.cluster.leader !== leader ? true : undefined;
        },
        30_000,
      );
      for (let i = 0; i < 20; i++) await js.publish(subject, new Uint8Array([i]), { msgID: `after-${i}` });
      expect((await jsm.streams.info(INFRACTIONS_STREAM)).state.messages).toBe(41);
      await victim.restart();
      expect(victim.isRunning).toBe(true);
    } finally {
      await nc.close();
    }
  });

  it('routes are TLS with a route user: a plain client or a wrong secret is not let in', async () => {
    await using hub = await startTestNatsCluster(2);
    const config = await readFile(hub.nodes[0]!.logFile.replace('nats-server.log', 'nats-server.conf'), 'utf8');
    const routePort = Number(/cluster \{[^]*?listen: "127\.0\.0\.1:(\d+)"/.exec(config)?.[1]);
    expect(routePort).toBeGreaterThan(0);
    // Routes speak TLS from the first byte: a plain client hears nothing.
    expect(await firstWords(routePort)).toBe('');
    const pki = await testPki();
    const [ca, cert, key] = await Promise.all([readFile(pki.caFile), readFile(pki.certFile), readFile(pki.keyFile)]);
    // Without a client certificate the server ends the session before saying anything (verify: true).
    expect(await routeSession(routePort, { ca })).not.toMatch(/INFO|Authorization/);
    // With the run's certificate but a wrong route secret: refused.
    const wrong = await routeSession(routePort, { ca, cert, key }, 'wrong-secret-0000');
    expect(wrong).toMatch(/INFO /);
    expect(wrong).toMatch(/-ERR 'Authorization Violation'/);
  });

  it('the compose hub config (npm run gen:nats) boots as a 3-node cluster that setup makes R3 streams on', async () => {
    await using dir = await tempDir('zebra-compose-hub-');
    const pki = await testPki();
    const ports: { client: number; route: number; leaf: number }[] = [];
    const free = await freePorts(9);
    for (let i = 0; i < 3; i++) ports.push({ client: free[3 * i]!, route: free[3 * i + 1]!, leaf: free[3 * i + 2]! });
    const password = { setup: natsEnvSecret(), route: natsEnvSecret() };
    const children: ChildProcess[] = [];
    try {
      for (const [i, p] of ports.entries()) {
        const store = join(dir.path, `node-${i}`);
        await mkdir(store);
        // The container paths and ports, moved to this machine's loopback and temp folders.
        const conf = renderHubConf()
          .replaceAll('/etc/nats/tls/ca.pem', pki.caFile)
          .replaceAll('/etc/nats/tls/nats-hub.pem', pki.certFile)
          .replaceAll('/etc/nats/tls/nats-hub-key.pem', pki.keyFile)
          .replace('store_dir: "/data"', `store_dir: ${JSON.stringify(store)}`)
          .replace('"0.0.0.0:7422"', `"127.0.0.1:${p.leaf}"`)
          .replace('"0.0.0.0:6222"', `"127.0.0.1:${p.route}"`)
          .replace('http: "127.0.0.1:8222"\n', '');
        await writeFile(join(store, 'hub.conf'), conf, { mode: 0o600 });
        const routes = Object.fromEntries(
          ports.map((q, j) => [
            `ZEBRA_NATS_ROUTE_${j + 1}`,
            `nats-route://route:${password.route}@127.0.0.1:${q.route}`,
          ]),
        );
        const args = ['-c', join(store, 'hub.conf'), '-a', '127.0.0.1', '-p', String(p.client)];
        const child = spawn('nats-server', [...args, '-l', join(store, 'nats.log')], {
          stdio: 'ignore',
          env: {
            ...process.env,
            ...routes,
            ZEBRA_NATS_NODE_NAME: `nats-${i + 1}`,
            ZEBRA_NATS_ROUTE_PASSWORD: password.route,
            ZEBRA_NATS_HUB_SETUP_PASSWORD: password.setup,
            ZEBRA_NATS_CORE_PASSWORD: natsEnvSecret(),
            ZEBRA_SITE_LEAF_PASSWORD: natsEnvSecret(),
          },
        });
        children.push(child);
      }
      const nc = await waitFor('the compose hub answering', () =>
        connect({
          servers: ports.map((p) => `nats://127.0.0.1:${p.client}`),
          user: 'setup',
          pass: password.setup,
          tls: { caFile: pki.caFile },
        }).catch(() => undefined),
      );
      try {
        await waitFor('a JetStream meta leader', async () =>
          (await jetstreamManager(nc, { timeout: 2_000 }).catch(() => undefined)) ? true : undefined,
        );
        await waitFor('three peers', async () => {
          // A node that could not start (its port taken meanwhile) fails here with its own words.
          const gone = children.findIndex((c) => c.exitCode !== null);
          if (gone >= 0) {
            const log = await readFile(join(dir.path, `node-${gone}`, 'nats.log'), 'utf8').catch(() => '');
            throw new Error(`node ${gone + 1} exited (${children[gone]!.exitCode}): ${log.slice(-1_000)}`);
          }
          return setupHub(nc, coreConfig({ streamReplicas: 3 })).then(
            () => true,
            () => undefined,
          );
        });
        const info = await (await jetstreamManager(nc)).streams.info(INFRACTIONS_STREAM);
        expect(info.cluster?.name).toBe('zebra-hub');
        expect(info.cluster?.replicas?.map((r) => r.name).length).toBe(2);
        expect(info.config.num_replicas).toBe(3);
      } finally {
        await nc.close();
      }
    } finally {
      for (const child of children) await stopProcess(child);
    }
  });
});
