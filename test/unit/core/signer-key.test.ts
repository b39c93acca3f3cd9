import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOrCreateSigner } from '../../../core/audit/signer.js';
import { tempDir } from '../../harness/temp.js';

describe('the audit signing key file', () => {
  it('is created once when several replicas start together on one volume, and all use it', async () => {
    await using dir = await tempDir('zebra-key-');
    const path = join(dir.path, 'keys', 'audit.pem');
    const signers = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateSigner(path, 'test')));
    expect(new Set(signers.map((s) => s.keyId)).size).toBe(1);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(join(dir.path, 'keys'))).toEqual(['audit.pem']);
    expect((await loadOrCreateSigner(path, 'test')).keyId).toBe(signers[0]!.keyId);
  });

  it('names the key and the problem when the file is not an Ed25519 key', async () => {
    await using dir = await tempDir('zebra-key-');
    const path = join(dir.path, 'audit.pem');
    await writeFile(path, 'not a key\n', { mode: 0o600 });
    await expect(loadOrCreateSigner(path, 'test')).rejects.toThrow(/^audit\.signingKeyFile: .*audit\.pem: /);
  });
});
