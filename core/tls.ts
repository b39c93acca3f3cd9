import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { CoreError, CoreErrorCode, errorMessage } from './errors.js';

/** A listener's certificate and key as PEM, and for mutual TLS the CA its clients must be signed by. */
export interface ServerTlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly clientCa?: Buffer;
}

async function readPem(path: string, configKey: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new CoreError(CoreErrorCode.CONFIG_INVALID, `${configKey}: cannot read ${path}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}

/**
 * Reads the files `configKey` (grpc.tls or http.tls) names and checks that the key belongs to
 * the certificate, so a wrong file fails at start with the key's name, not at the first client.
 */
export async function loadServerTls(
  tls: { readonly certFile: string; readonly keyFile: string; readonly clientCaFile?: string },
  configKey: string,
): Promise<ServerTlsMaterial> {
  const [cert, key, clientCa] = await Promise.all([
    readPem(tls.certFile, `${configKey}.certFile`),
    readPem(tls.keyFile, `${configKey}.keyFile`),
    tls.clientCaFile ? readPem(tls.clientCaFile, `${configKey}.clientCaFile`) : undefined,
  ]);
  try {
    createSecureContext({ cert, key, ca: clientCa });
  } catch (err) {
    throw new CoreError(
      CoreErrorCode.CONFIG_INVALID,
      `${configKey}: ${tls.certFile} and ${tls.keyFile} are not a PEM certificate and its key: ${errorMessage(err)}`,
      { cause: err },
    );
  }
  return { cert, key, clientCa };
}
