import { writeFile } from 'node:fs/promises';
import { httpsRequest, resolveClientTls } from './client-tls.js';
import type { TlsOpts } from './command-kit.js';
import { resolveToken } from './events.js';

const USAGE =
  'usage: zebra evidence package EVENT_ID -o FILE.pdf --purpose TEXT [--http HOST:PORT] [--token-file FILE] [--ca FILE]';

/**
 * `zebra evidence package EVENT_ID -o FILE.pdf`: the event's evidence package from the core
 * (HTTPS, the caller's token; supervisors, auditors and admins, once the review is over). The
 * request and its purpose are recorded in the audit log. Check the file offline with
 * `zebra audit verify FILE.pdf --public-key audit.pub.pem`.
 */
export async function evidencePackage(
  o: TlsOpts & { out: string; purpose: string; http: string; tokenFile?: string },
  [eventId]: string[],
): Promise<number> {
  if (!eventId) throw new Error(USAGE);
  if (!o.purpose.trim()) throw new Error(`--purpose is required: it is recorded in the audit log\n${USAGE}`);
  const httpAddr = o.http;
  const tls = await resolveClientTls(o, process.env);
  const token = await resolveToken(o.tokenFile, process.env);
  const url = `https://${httpAddr}/api/events/${encodeURIComponent(eventId)}/evidence-package.pdf`;
  const res = await httpsRequest(url, tls, {
    headers: { authorization: `Bearer ${token}`, 'x-zebra-purpose': o.purpose.trim() },
    timeoutMs: 120_000,
  }).catch((err: unknown) => {
    throw new Error(
      `cannot reach the zebra core at https://${httpAddr} (${err instanceof Error ? err.message : String(err)}); ` +
        'pass --http HOST:PORT, and --ca FILE (ZEBRA_CA_FILE) with the CA that signed its certificate',
    );
  });
  if (!res.ok) {
    let message = res.text().slice(0, 300);
    try {
      message = (res.json() as { error?: string }).error ?? message;
    } catch {
      // not JSON: the text as it is
    }
    throw new Error(`the core refused the evidence package (HTTP ${res.status}): ${message}`);
  }
  await writeFile(o.out, res.body);
  process.stderr.write(
    `wrote ${o.out} (${res.body.length.toLocaleString('en')} bytes); check it offline: zebra audit verify ${o.out} --public-key audit.pub.pem\n`,
  );
  return 0;
}
