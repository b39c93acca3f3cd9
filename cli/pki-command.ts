import { stat } from 'node:fs/promises';
import { caFiles, certFiles, initCa, issueCertificate } from './pki.js';

const OFFLINE =
  'keep ca-key.pem offline (off the servers, e.g. on an encrypted drive in a safe): it is only needed to issue ' +
  'certificates, and whoever holds it can impersonate every service';

const say = (line: string): void => void process.stdout.write(`${line}\n`);

const exists = (file: string): Promise<boolean> =>
  stat(file).then(
    () => true,
    () => false,
  );

/** `zebra pki init --dir DIR`: the deployment's private CA, unless the folder has one already. */
export async function pkiInit(values: { dir: string }): Promise<number> {
  const before = await exists(caFiles(values.dir).certFile);
  const ca = await initCa(values.dir);
  if (before) {
    say(`a CA is already in ${values.dir}: ${ca.certFile} (left as it is)`);
    return 0;
  }
  say(`wrote ${ca.certFile}: the CA certificate; give it to every client (--ca, ZEBRA_CA_FILE, NATS tls.ca_file)`);
  say(`wrote ${ca.keyFile}: the CA private key (mode 0600)`);
  say(`${OFFLINE}.`);
  say(`next: zebra pki issue core --dir ${values.dir} --host HOSTNAME [--host IP]`);
  return 0;
}

/** `zebra pki issue NAME --dir DIR --host H...`: a certificate for a service or device, signed by the CA. */
export async function pkiIssue(
  values: { dir: string; host: string[]; days?: number },
  [name]: string[],
): Promise<number> {
  if (!name) throw new Error('pki issue needs a NAME');
  const validDays = values.days;
  const replaced = await exists(certFiles(values.dir, name).certFile);
  const files = await issueCertificate(values.dir, name, { hosts: values.host, validDays }).catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    if (/ENOENT/.test(message) && /ca(-key)?\.pem/.test(message))
      throw new Error(
        `no CA in ${values.dir} (it needs ca.pem and ca-key.pem): run zebra pki init --dir ${values.dir}, ` +
          'or bring the offline ca-key.pem back for the issuing',
        { cause: err },
      );
    throw err;
  });
  say(`wrote ${files.certFile}: certificate ${name} for ${values.host.join(', ')}`);
  say(`wrote ${files.keyFile}: its private key (mode 0600); copy both to the machine that serves ${name}`);
  if (replaced) say(`(replaced the previous ${name} certificate: restart the service that uses it)`);
  say(`${OFFLINE}.`);
  return 0;
}
