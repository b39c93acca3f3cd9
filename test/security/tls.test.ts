import { readFile } from 'node:fs/promises';
import { createServer as createHttpsServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { credentials, makeGenericClientConstructor, status } from '@grpc/grpc-js';
import type { ChannelCredentials, ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.js';
import { loopbackPki } from '../../cli/pki.js';
import { CoreErrorCode, parseCoreConfig } from '../../core/index.js';
import { loadServerTls } from '../../core/tls.js';
import { startEdgeHttp } from '../../edge/http.js';
import { createEdgeMetrics } from '../../edge/metrics.js';
import { launchBrowser } from '../browser/console-harness.js';
import { startTestStack } from '../harness/stack.js';
import type { TestStack } from '../harness/stack.js';
import { testPki } from '../harness/pki.js';
import { tempDir } from '../harness/temp.js';
import type { TempDir } from '../harness/temp.js';

const HealthClient = makeGenericClientConstructor(healthService, 'Health');

/** grpc.health.v1 Check over `creds`: the status it answers, or the error the call ended with. */
async function healthCheck(address: string, creds: ChannelCredentials): Promise<unknown> {
  const client = new HealthClient(address, creds);
  try {
    return await new Promise((resolve, reject) =>
      (client as unknown as Record<string, (...a: unknown[]) => void>).check!(
        { service: '' },
        { deadline: new Date(Date.now() + 5_000) },
        (err: ServiceError | null, res?: { status: unknown }) => (err ? reject(err) : resolve(res?.status)),
      ),
    );
  } finally {
    client.close();
  }
}

/** GET over HTTPS trusting `ca` (undefined: the system's CAs only): status and body, or the error. */
function httpsGet(url: string, ca: Buffer | undefined): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** What a plain http:// GET got: the body if it got an answer at all, else the error's text. */
async function plainGet(url: string): Promise<{ answered: boolean; text: string }> {
  return fetch(url, { signal: AbortSignal.timeout(5_000) }).then(
    async (res) => ({ answered: true, text: await res.text() }),
    (err: unknown) => ({ answered: false, text: String(err) }),
  );
}

describe('TLS on the gRPC API and the HTTPS console/gateway, from the private CA', () => {
  let stack: TestStack;
  let ca: Buffer;
  let otherCa: Buffer;
  let other: TempDir;

  beforeAll(async () => {
    stack = await startTestStack();
    ca = await readFile((await testPki()).caFile);
    other = await tempDir('zebra-other-pki-');
    otherCa = await readFile((await loopbackPki(other.path)).caFile);
  });

  afterAll(async () => {
    await stack?.[Symbol.asyncDispose]();
    await other?.[Symbol.asyncDispose]();
  });

  it('answers a gRPC client that trusts the CA, and refuses a cleartext one without answering', async () => {
    const address = stack.core.core.grpcAddress;
    expect(await healthCheck(address, credentials.createSsl(ca))).toBe('SERVING');
    const cleartext = await healthCheck(address, credentials.createInsecure()).then(
      (answer) => ({ answer }),
      (err: ServiceError) => ({ code: err.code }),
    );
    expect(cleartext).toEqual({ code: status.UNAVAILABLE });
  });

  it('refuses a gRPC client that does not trust the CA (another CA, or the system CAs)', async () => {
    const address = stack.core.core.grpcAddress;
    expect(await healthCheck(address, credentials.createSsl(ca))).toBe('SERVING');
    for (const creds of [credentials.createSsl(otherCa), credentials.createSsl()]) {
      await expect(healthCheck(address, creds)).rejects.toMatchObject({ code: status.UNAVAILABLE });
    }
  });

  it('serves the console only over HTTPS: a plain http:// request gets no console', async () => {
    const address = stack.core.core.httpAddress;
    const secure = await httpsGet(`https://${address}/`, ca);
    expect(secure.status).toBe(200);
    expect(secure.body).toContain('<title>zebra</title>');
    for (const path of ['/', '/healthz', '/api/audit/public-key']) {
      const plain = await plainGet(`http://${address}${path}`);
      expect(plain.text, path).not.toContain('<title>zebra</title>');
      expect(plain.text, path).not.toContain('BEGIN PUBLIC KEY');
      expect(plain.answered, `${path}: ${plain.text}`).toBe(false);
    }
  });

  it('refuses an HTTPS client that does not trust the CA', async () => {
    const url = `https://${stack.core.core.httpAddress}/healthz`;
    expect((await httpsGet(url, ca)).status).toBe(200);
    await expect(httpsGet(url, otherCa)).rejects.toThrow(/certificate|self.signed|verify/i);
    await expect(httpsGet(url, undefined)).rejects.toThrow(/certificate|self.signed|verify/i);
  });

  it('refuses a core config without TLS, naming the key and how to make certificates', async () => {
    const { certFile, keyFile } = await testPki();
    const base = {
      database: { pgliteDir: 'db' },
      nats: { servers: ['nats://127.0.0.1:4222'], passwordFile: 'nats-core.secret', caFile: 'pki/ca.pem' },
      audit: { signingKeyFile: 'k.pem' },
      auth: { bootstrapTokenFile: 't' },
    };
    const tls = { certFile, keyFile };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...base, http: { tls } }, /grpc\.tls: .*zebra pki init/],
      [{ ...base, grpc: { listen: '127.0.0.1:50051' }, http: { tls } }, /grpc\.tls: .*zebra pki issue/],
      [{ ...base, grpc: { tls } }, /http\.tls: .*zebra pki init/],
      [{ ...base, grpc: { tls: { certFile } }, http: { tls } }, /grpc\.tls\.keyFile/],
    ];
    for (const [raw, message] of cases) {
      expect(() => parseCoreConfig(raw, '/b', {}, 'core.yaml'), JSON.stringify(raw)).toThrow(
        expect.objectContaining({ code: CoreErrorCode.CONFIG_INVALID, message: expect.stringMatching(message) }),
      );
    }
  });

  it('Chromium trusts the test certificate it is pinned to and no other, and gets no console over http://', async () => {
    const otherPki = await loopbackPki(other.path);
    const impostor = createHttpsServer(
      { cert: await readFile(otherPki.certFile), key: await readFile(otherPki.keyFile) },
      (_req, res) => res.end('<title>zebra</title>'),
    );
    await new Promise<void>((r) => impostor.listen(0, '127.0.0.1', r));
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const core = stack.core.core.httpAddress;
      await page.goto(`https://${core}/`);
      expect(await page.title()).toBe('zebra');
      const { port } = impostor.address() as AddressInfo;
      await expect(page.goto(`https://127.0.0.1:${port}/`)).rejects.toThrow(/ERR_CERT/);
      await expect(page.goto(`http://${core}/`)).rejects.toThrow(/net::ERR_/);
    } finally {
      await browser.close();
      impostor.close();
    }
  });

  it('a certificate file that is missing or does not match its key stops the core at start, naming the key', async () => {
    const pki = await testPki();
    const otherKey = (await loopbackPki(other.path)).keyFile;
    await expect(
      loadServerTls({ certFile: join(other.path, 'missing.pem'), keyFile: pki.keyFile }, 'grpc.tls'),
    ).rejects.toThrow(/grpc\.tls\.certFile: cannot read .*missing\.pem/);
    await expect(loadServerTls({ certFile: pki.certFile, keyFile: otherKey }, 'http.tls')).rejects.toThrow(
      /http\.tls: .* are not a PEM certificate and its key/,
    );
  });

  it('an API command without a CA file says to pass --ca FILE or set ZEBRA_CA_FILE', async () => {
    const work = await tempDir();
    const tokenFile = join(work.path, 'token');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(tokenFile, `${stack.core.adminToken}\n`);
    let err = '';
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      err += String(chunk);
      return true;
    });
    const saved = process.env.ZEBRA_CA_FILE;
    delete process.env.ZEBRA_CA_FILE;
    try {
      const code = await main(['events', 'list', '--server', stack.core.core.grpcAddress, '--token-file', tokenFile]);
      expect(code).toBe(1);
      expect(err).toMatch(/--ca FILE/);
      expect(err).toMatch(/ZEBRA_CA_FILE/);
    } finally {
      spy.mockRestore();
      if (saved !== undefined) process.env.ZEBRA_CA_FILE = saved;
      await work[Symbol.asyncDispose]();
    }
  });
});

describe('gRPC with client certificates (grpc.tls.clientCaFile)', () => {
  it('refuses a client without a certificate signed by the client CA, and answers one with', async () => {
    const pki = await testPki();
    await using stack = await startTestStack({
      grpc: {
        listen: '127.0.0.1:0',
        tls: { certFile: pki.certFile, keyFile: pki.keyFile, clientCaFile: pki.caFile },
      },
    });
    const address = stack.core.core.grpcAddress;
    const [ca, cert, key] = await Promise.all([pki.caFile, pki.certFile, pki.keyFile].map((f) => readFile(f)));
    expect(await healthCheck(address, credentials.createSsl(ca, key, cert))).toBe('SERVING');
    await expect(healthCheck(address, credentials.createSsl(ca))).rejects.toMatchObject({
      code: status.UNAVAILABLE,
    });
  });
});

describe("the edge's health and metrics listener", () => {
  it('serves /healthz over HTTPS from the private CA only, and nothing to a plain http:// request', async () => {
    const pki = await testPki();
    const metrics = createEdgeMetrics();
    const http = await startEdgeHttp('127.0.0.1:0', pki, metrics, () => ({ ok: true, checks: { camera: 'running' } }));
    try {
      const ca = await readFile(pki.caFile);
      const answer = await httpsGet(`https://${http.address}/healthz`, ca);
      expect(answer).toEqual({ status: 200, body: JSON.stringify({ ok: true, checks: { camera: 'running' } }) });
      expect((await httpsGet(`https://${http.address}/metrics`, ca)).body).toContain('# HELP');
      const plain = await plainGet(`http://${http.address}/healthz`);
      expect(plain.text).not.toContain('"ok"');
      await expect(httpsGet(`https://${http.address}/healthz`, undefined)).rejects.toThrow(/certificate/i);
    } finally {
      await http.close();
    }
  });
});
