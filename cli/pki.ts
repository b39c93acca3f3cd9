import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

/**
 * A private certificate authority for one zebra deployment: it signs the certificates of the
 * NATS servers, the core's gRPC and HTTPS listeners, and (when asked) client certificates.
 * Keys are ECDSA P-256, kept PKCS#8 PEM, mode 0600; certificates are PEM.
 *
 * Files in the PKI folder: `ca.pem` (give it to every client), `ca-key.pem` (keep it offline
 * after issuing), and `<name>.pem` / `<name>-key.pem` per issued certificate.
 */

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
export const CA_VALID_DAYS = 3650;
export const CERT_VALID_DAYS = 397;

export interface CertificateFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface IssueOptions {
  /** DNS names and IP addresses the certificate is valid for (subjectAltName). */
  readonly hosts: readonly string[];
  readonly validDays?: number;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function caFiles(dir: string): CertificateFiles {
  return { certFile: join(dir, 'ca.pem'), keyFile: join(dir, 'ca-key.pem') };
}

export function certFiles(dir: string, name: string): CertificateFiles {
  return { certFile: join(dir, `${name}.pem`), keyFile: join(dir, `${name}-key.pem`) };
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;
}

function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f; // positive
  return bytes.toString('hex');
}

async function writeKey(file: string, key: CryptoKey): Promise<void> {
  await writeFile(file, pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', key)), { mode: 0o600 });
  await chmod(file, 0o600);
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** Makes the CA in `dir` unless one is there already; returns its files. */
export async function initCa(dir: string, commonName = 'zebra private CA'): Promise<CertificateFiles> {
  const files = caFiles(dir);
  if (await exists(files.certFile)) return files;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + CA_VALID_DAYS * DAY_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  await writeKey(files.keyFile, keys.privateKey);
  await writeFile(files.certFile, cert.toString('pem') + '\n', { mode: 0o644 });
  return files;
}

async function loadCa(dir: string): Promise<{ cert: x509.X509Certificate; key: CryptoKey }> {
  const files = caFiles(dir);
  const [certPem, keyPem] = await Promise.all([readFile(files.certFile, 'utf8'), readFile(files.keyFile, 'utf8')]);
  const der = Buffer.from(keyPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const key = await webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, false, ['sign']);
  return { cert: new x509.X509Certificate(certPem), key };
}

/**
 * Issues `<name>.pem` and `<name>-key.pem` in `dir`, signed by the CA there, for TLS servers
 * and clients alike (serverAuth and clientAuth), valid for `hosts`.
 */
export async function issueCertificate(dir: string, name: string, options: IssueOptions): Promise<CertificateFiles> {
  if (!NAME.test(name)) throw new Error(`certificate name ${JSON.stringify(name)}: use letters, digits, . _ -`);
  if (options.hosts.length === 0) throw new Error(`certificate ${name}: name at least one host (DNS name or IP)`);
  const ca = await loadCa(dir);
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${name}`,
    issuer: ca.cert.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + (options.validDays ?? CERT_VALID_DAYS) * DAY_MS),
    signingKey: ca.key,
    publicKey: keys.publicKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension(
        options.hosts.map((host) => ({ type: isIP(host) ? ('ip' as const) : ('dns' as const), value: host })),
      ),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const files = certFiles(dir, name);
  await writeKey(files.keyFile, keys.privateKey);
  await writeFile(files.certFile, cert.toString('pem') + '\n', { mode: 0o644 });
  return files;
}

/** The TLS material one connection needs: the CA to trust, and optionally a certificate of its own. */
export interface TlsFiles {
  readonly caFile: string;
  readonly certFile?: string;
  readonly keyFile?: string;
}

/** Makes a CA and one certificate for loopback services (127.0.0.1, ::1, localhost): demo and tests. */
export async function loopbackPki(dir: string, name = 'loopback'): Promise<Required<TlsFiles>> {
  const ca = await initCa(dir);
  const files = (await exists(certFiles(dir, name).certFile))
    ? certFiles(dir, name)
    : await issueCertificate(dir, name, { hosts: ['127.0.0.1', '::1', 'localhost'] });
  return { caFile: ca.certFile, ...files };
}
