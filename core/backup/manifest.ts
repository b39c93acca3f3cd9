import { createHash } from 'node:crypto';
import { z } from 'zod';

/** The format of a backup folder's manifest.json. */
export const BACKUP_FORMAT = 'zebra-backup/v1';

/** The files a core backup holds, by role. */
export const BACKUP_FILES = {
  /** pg_dump --format=custom of the PostgreSQL database. */
  postgresDump: 'database.pgdump',
  /** PGlite's own dump of its data folder (a gzipped tar). */
  pgliteDump: 'database.tar.gz',
  /** The audit checkpoint signing key (PKCS#8 PEM). A secret: the folder is kept 0700. */
  auditKey: 'audit-signing-key.pem',
  /** The newest signed checkpoint at backup time: the restored log must extend it. */
  checkpoint: 'checkpoint.json',
} as const;

const FileEntry = z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), sizeBytes: z.number().int().min(0) }).strict();

export const BackupManifest = z
  .object({
    format: z.literal(BACKUP_FORMAT),
    createdAtMs: z.number().int(),
    core: z
      .object({
        databaseKind: z.enum(['postgres', 'pglite']),
        /** Migration ids applied to the database: a core restoring it must know each one. */
        migrations: z.array(z.string()),
        auditLogSize: z.number().int().min(0),
        checkpointTreeSize: z.number().int().min(0).nullable(),
      })
      .strict()
      .optional(),
    /** Edge devices whose key is in the backup, under edge/<deviceId>/. */
    edges: z.array(z.object({ deviceId: z.string(), siteId: z.string() }).strict()).default([]),
    /** Every file of the backup (relative path) with its SHA-256 and size. */
    files: z.record(z.string(), FileEntry),
  })
  .strict();
export type BackupManifest = z.infer<typeof BackupManifest>;

/** A file's entry in the manifest. */
export function fileEntry(bytes: Buffer): { sha256: string; sizeBytes: number } {
  return { sha256: createHash('sha256').update(bytes).digest('hex'), sizeBytes: bytes.length };
}

/** The problems of a file against its manifest entry (none when it matches). */
export function checkFile(name: string, expected: { sha256: string; sizeBytes: number }, bytes: Buffer): string[] {
  const actual = fileEntry(bytes);
  if (actual.sizeBytes !== expected.sizeBytes)
    return [`${name}: ${actual.sizeBytes} bytes, the manifest says ${expected.sizeBytes}`];
  if (actual.sha256 !== expected.sha256) return [`${name}: its SHA-256 differs from the manifest's`];
  return [];
}

/** A device id as a folder name: letters, digits, '.', '_' and '-' only. */
export function safeName(id: string): string {
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(id) || id === '.' || id === '..')
    throw new Error(`device id ${JSON.stringify(id)} cannot name a backup folder`);
  return id;
}
