import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loopbackPki } from '../../cli/pki.js';
import type { TlsFiles } from '../../cli/pki.js';

let pki: Promise<Required<TlsFiles>> | undefined;

/**
 * One private CA and one loopback certificate (127.0.0.1, ::1, localhost) per test process,
 * made on first use in a temporary folder that is removed when the process exits. Every test
 * server (NATS, gRPC, HTTPS) presents this certificate and every client trusts this CA.
 */
export function testPki(): Promise<Required<TlsFiles>> {
  if (!pki) {
    const dir = mkdtempSync(join(tmpdir(), 'zebra-test-pki-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    pki = loopbackPki(dir);
  }
  return pki;
}
