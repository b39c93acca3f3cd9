import { X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, createServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../../cli/main.js';
import { tempDir } from '../../harness/temp.js';

/** Runs the CLI in-process: exit code, stdout and stderr. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c) => ((out += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((err += String(c)), true));
  try {
    return { code: await main(args), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

const mode = async (file: string): Promise<number> => (await stat(file)).mode & 0o777;

/** A TLS handshake from a client trusting `ca` to a server with `cert`/`key`, for `servername`. */
async function handshake(ca: Buffer, cert: Buffer, key: Buffer, host: string): Promise<boolean> {
  const server = createServer({ cert, key }, (socket) => socket.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, ca, servername: host });
      socket.once('secureConnect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  } finally {
    server.close();
  }
}

describe('zebra pki init | issue', () => {
  it('makes a CA, then a certificate for the named hosts that the CA verifies and a TLS client accepts', async () => {
    await using dir = await tempDir();
    const pki = join(dir.path, 'pki');
    const init = await cli(['pki', 'init', '--dir', pki]);
    expect(init.code).toBe(0);
    expect(init.out).toContain(join(pki, 'ca.pem'));
    expect(init.out).toContain(join(pki, 'ca-key.pem'));
    expect(init.out).toMatch(/keep ca-key\.pem offline/);
    expect(await mode(join(pki, 'ca-key.pem'))).toBe(0o600);

    const issued = await cli(['pki', 'issue', 'core', '--dir', pki, '--host', 'core.example', '--host', '127.0.0.1']);
    expect(issued.code, issued.err).toBe(0);
    expect(issued.out).toContain(join(pki, 'core.pem'));
    expect(issued.out).toContain(join(pki, 'core-key.pem'));
    expect(issued.out).toMatch(/keep ca-key\.pem offline/);
    expect(await mode(join(pki, 'core-key.pem'))).toBe(0o600);

    const [caPem, certPem, keyPem] = await Promise.all(
      ['ca.pem', 'core.pem', 'core-key.pem'].map((f) => readFile(join(pki, f))),
    );
    const ca = new X509Certificate(caPem!);
    const cert = new X509Certificate(certPem!);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkHost('core.example')).toBe('core.example');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkHost('other.example')).toBeUndefined();
    expect(await handshake(caPem!, certPem!, keyPem!, 'core.example')).toBe(true);
    expect(await handshake(caPem!, certPem!, keyPem!, 'other.example')).toBe(false);

    // init again keeps the CA: certificates issued so far stay valid.
    expect((await cli(['pki', 'init', '--dir', pki])).out).toMatch(/already/);
    expect(await readFile(join(pki, 'ca.pem'))).toEqual(caPem);
  });

  it('reissuing a name replaces its certificate and key (rotation) under the same CA', async () => {
    await using dir = await tempDir();
    await cli(['pki', 'init', '--dir', dir.path]);
    await cli(['pki', 'issue', 'site-1', '--dir', dir.path, '--host', 'site-1.local']);
    const first = await readFile(join(dir.path, 'site-1.pem'), 'utf8');
    const again = await cli(['pki', 'issue', 'site-1', '--dir', dir.path, '--host', 'site-1.local']);
    expect(again.out).toMatch(/replaced/);
    const second = await readFile(join(dir.path, 'site-1.pem'), 'utf8');
    expect(second).not.toBe(first);
    const ca = new X509Certificate(await readFile(join(dir.path, 'ca.pem')));
    expect(new X509Certificate(second).verify(ca.publicKey)).toBe(true);
  });

  it('refuses to issue without a CA, without a host, or with a bad name, saying what to do', async () => {
    await using dir = await tempDir();
    const noCa = await cli(['pki', 'issue', 'core', '--dir', dir.path, '--host', 'core']);
    expect(noCa.code).toBe(1);
    expect(noCa.err).toMatch(/zebra pki init --dir/);
    await cli(['pki', 'init', '--dir', dir.path]);
    const noHost = await cli(['pki', 'issue', 'core', '--dir', dir.path]);
    expect(noHost.code).toBe(2);
    expect(noHost.err).toMatch(/required option '--host <host>'/);
    const badName = await cli(['pki', 'issue', '../evil', '--dir', dir.path, '--host', 'x']);
    expect(badName.code).toBe(1);
    expect(badName.err).toMatch(/letters, digits/);
    expect((await cli(['pki', 'nonsense'])).code).toBe(2);
  });
});
