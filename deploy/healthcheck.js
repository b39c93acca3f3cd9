// Container healthcheck: GET an HTTPS /healthz, trusting only the deployment's private CA.
// Exit 0 when it answers 200 (green), 1 otherwise (red, refused, timed out).
// Usage: node deploy/healthcheck.js https://127.0.0.1:8080/healthz /etc/zebra/tls/ca.pem
import { readFileSync } from 'node:fs';
import { request } from 'node:https';

const [url, caFile] = process.argv.slice(2);
if (!url?.startsWith('https://') || !caFile) {
  process.stderr.write('usage: healthcheck.js https://HOST:PORT/healthz CA_FILE\n');
  process.exit(2);
}
const req = request(url, { ca: readFileSync(caFile), timeout: 5_000 }, (res) => {
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (chunk) => (body += chunk));
  res.on('end', () => {
    process.stdout.write(`${res.statusCode} ${body.slice(0, 2_000)}\n`);
    process.exit(res.statusCode === 200 ? 0 : 1);
  });
});
req.on('timeout', () => req.destroy(new Error('no answer in 5 s')));
req.on('error', (err) => {
  process.stderr.write(`${url}: ${err.message}\n`);
  process.exit(1);
});
req.end();
