/**
 * nats-server honours a terminate with a reason (`+TERM <reason>`) from 2.10.4 on; 2.9 takes it
 * for no acknowledgement at all and redelivers the message after ack_wait, forever.
 */
export function honoursTermReason(serverVersion: string): boolean {
  const [major = 0, minor = 0, patch = 0] = serverVersion.replace(/^v/, '').split(/[.-]/).map(Number);
  return major > 2 || (major === 2 && (minor > 10 || (minor === 10 && patch >= 4)));
}
