import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import type { OutgoingHttpHeaders } from 'node:http';

/**
 * How a client reaches the core: over TLS only, trusting the deployment's CA (`ca.pem` from
 * `zebra pki init`), and, where the core asks for client certificates, with one of its own.
 */
export interface ClientTls {
  /** PEM of the CA that signed the core's certificates; the system CAs are not trusted. */
  readonly ca: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** The options every API command takes for TLS (spread into parseArgs options). */
export const TLS_OPTIONS = {
  ca: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
} as const;

async function readPem(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new Error(`cannot read ${what} ${path}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}

/** Reads the CA (and optional client certificate and key) from files. */
export async function loadClientTls(files: {
  caFile: string;
  certFile?: string;
  keyFile?: string;
}): Promise<ClientTls> {
  if ((files.certFile === undefined) !== (files.keyFile === undefined))
    throw new Error('a client certificate needs both --cert FILE and --key FILE');
  const [ca, cert, key] = await Promise.all([
    readPem(files.caFile, 'the CA certificate'),
    files.certFile ? readPem(files.certFile, 'the client certificate') : undefined,
    files.keyFile ? readPem(files.keyFile, 'the client key') : undefined,
  ]);
  return { ca, cert, key };
}

/**
 * The CLI's TLS settings: --ca, else ZEBRA_CA_FILE (required: there is no cleartext API), and
 * --cert/--key, else ZEBRA_CERT_FILE/ZEBRA_KEY_FILE, for a core that asks for client certificates.
 */
export async function resolveClientTls(
  values: { ca?: string; cert?: string; key?: string },
  env: NodeJS.ProcessEnv,
): Promise<ClientTls> {
  const caFile = values.ca ?? env.ZEBRA_CA_FILE;
  if (!caFile)
    throw new Error(
      "this needs the core's CA certificate (the API is TLS only): pass --ca FILE or set ZEBRA_CA_FILE " +
        '(the ca.pem made by `zebra pki init`)',
    );
  return loadClientTls({
    caFile,
    certFile: values.cert ?? env.ZEBRA_CERT_FILE,
    keyFile: values.key ?? env.ZEBRA_KEY_FILE,
  });
}

export interface HttpsResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
  text(): string;
  json(): unknown;
}

/** One HTTPS request to the core, trusting only `tls.ca`. Rejects on any TLS or network error. */
export function httpsRequest(
  url: string,
  tls: ClientTls,
  init: { method?: string; headers?: OutgoingHttpHeaders; body?: string | Buffer; timeoutMs?: number } = {},
): Promise<HttpsResponse> {
  if (!url.startsWith('https://')) return Promise.reject(new Error(`${url}: the core is reached over https:// only`));
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: init.method ?? 'GET', headers: init.headers, ca: tls.ca, cert: tls.cert, key: tls.key },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          const status = res.statusCode ?? 0;
          resolve({
            status,
            ok: status >= 200 && status < 300,
            headers: res.headers,
            body,
            text: () => body.toString('utf8'),
            json: () => JSON.parse(body.toString('utf8')) as unknown,
          });
        });
      },
    );
    req.setTimeout(init.timeoutMs ?? 30_000, () => req.destroy(new Error(`${url}: no answer in time`)));
    req.on('error', reject);
    req.end(init.body);
  });
}
