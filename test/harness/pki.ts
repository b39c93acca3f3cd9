import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpsRequest, loadClientTls } from '../../cli/client-tls.js';
import type { ClientTls } from '../../cli/client-tls.js';
import { loopbackPki } from '../../cli/pki.js';

/**
 * One private CA and one loopback certificate (127.0.0.1, ::1, localhost) per test run: the
 * global setup makes them and names the folder in ZEBRA_TEST_PKI_DIR; a process started
 * outside vitest (a bench script) makes its own in a temporary folder, removed at exit.
 */
export const TEST_PKI_ENV = 'ZEBRA_TEST_PKI_DIR';

export interface TestPki {
  readonly dir: string;
  /** The CA certificate every client trusts. */
  readonly caFile: string;
  /** The loopback server (and client) certificate and its key. */
  readonly certFile: string;
  readonly keyFile: string;
}

let made: Promise<TestPki> | undefined;

async function make(): Promise<TestPki> {
  let dir = process.env[TEST_PKI_ENV];
  if (!dir) {
    dir = await mkdtemp(join(tmpdir(), 'zebra-test-pki-'));
    const own = dir;
    process.once('exit', () => rmSync(own, { recursive: true, force: true }));
    // Worker threads and child processes started from here on use the same CA.
    process.env[TEST_PKI_ENV] = dir;
  }
  return { dir, ...(await loopbackPki(dir)) };
}

/** The run's PKI (made once per process when the global setup did not). */
export function testPki(): Promise<TestPki> {
  made ??= make();
  return made;
}

/** The certificate and key a core in tests serves gRPC and HTTPS with (grpc.tls / http.tls). */
export async function testServerTls(): Promise<{ certFile: string; keyFile: string }> {
  const { certFile, keyFile } = await testPki();
  return { certFile, keyFile };
}

let clientTls: Promise<ClientTls> | undefined;

/** What test clients connect with: the run's CA, and the loopback certificate as a client certificate. */
export function testClientTls(): Promise<ClientTls> {
  clientTls ??= testPki().then((pki) => loadClientTls(pki));
  return clientTls;
}

/** An HTTPS request to a core in tests, trusting the run's CA (`fetch` cannot be given a CA). */
export async function testHttps(
  url: string,
  init?: Parameters<typeof httpsRequest>[2],
): Promise<Awaited<ReturnType<typeof httpsRequest>>> {
  return httpsRequest(url, await testClientTls(), init);
}
