import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { EdgeError, EdgeErrorCode, errorMessage } from '../errors.js';

const TensorSpec = z.object({ name: z.string(), type: z.string(), shape: z.array(z.number().int()) }).loose();

const ManifestFile = z
  .object({
    id: z.string().min(1),
    kind: z.enum(['model', 'sample']),
    path: z.string().min(1),
    url: z.url(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'),
    sizeBytes: z.number().int().positive(),
    license: z.string().min(1),
    description: z.string(),
    spec: z.object({ inputs: z.array(TensorSpec), outputs: z.array(TensorSpec) }).optional(),
  })
  .strict();

const Manifest = z.object({ version: z.literal(1), files: z.array(ManifestFile).min(1) }).strict();

export type ManifestFile = z.infer<typeof ManifestFile>;
export type Manifest = z.infer<typeof Manifest>;

/** models/manifest.json of this checkout. */
export const DEFAULT_MANIFEST_PATH = fileURLToPath(new URL('../../models/manifest.json', import.meta.url));

/** Reads and validates a manifest file. */
export async function loadManifest(path = DEFAULT_MANIFEST_PATH): Promise<Manifest> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new EdgeError(EdgeErrorCode.MODEL_MANIFEST_INVALID, `cannot read ${path}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  const parsed = Manifest.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? issue.path.join('.') : '';
    throw new EdgeError(EdgeErrorCode.MODEL_MANIFEST_INVALID, `${path}: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** The manifest entry with this id. */
export function manifestEntry(manifest: Manifest, id: string): ManifestFile {
  const entry = manifest.files.find((f) => f.id === id);
  if (!entry) {
    const known = manifest.files.map((f) => f.id).join(', ');
    throw new EdgeError(EdgeErrorCode.MODEL_MANIFEST_INVALID, `no file "${id}" in the manifest (known: ${known})`);
  }
  return entry;
}
