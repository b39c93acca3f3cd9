import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { CandidateTally, InfractionEvent } from '../../proto/index.js';
import { EdgeError, EdgeErrorCode } from '../errors.js';
import type { EventPublisher } from './publisher.js';

/**
 * Writes events, evidence and tallies into a folder instead of sending them: for
 * `zebra edge replay`, where a technician checks what the device would send. Only redacted
 * evidence ever reaches a publisher, so the folder holds nothing the core would not.
 */
export class FolderPublisher implements EventPublisher {
  readonly #root: string;
  readonly eventFiles: string[] = [];

  constructor(root: string) {
    this.#root = resolve(root);
  }

  #inside(...parts: string[]): string {
    const path = resolve(this.#root, ...parts);
    if (!path.startsWith(this.#root + sep))
      throw new EdgeError(EdgeErrorCode.PUBLISH_FAILED, `refusing to write outside ${this.#root}: ${parts.join('/')}`);
    return path;
  }

  async #write(path: string, bytes: Uint8Array | string): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, bytes);
  }

  async putEvidence(objectKey: string, bytes: Uint8Array): Promise<void> {
    await this.#write(this.#inside('evidence', objectKey), bytes);
  }

  async publishEvent(event: InfractionEvent): Promise<void> {
    const name = `${event.cameraId}-${String(event.cameraSeq).padStart(6, '0')}-${event.eventId}.json`;
    const path = this.#inside('events', name);
    await this.#write(path, `${JSON.stringify(InfractionEvent.toJSON(event), null, 2)}\n`);
    this.eventFiles.push(path);
  }

  async publishTally(tally: CandidateTally): Promise<void> {
    const path = this.#inside('tallies', `${tally.cameraId}-${tally.hourStartMs}.json`);
    await this.#write(path, `${JSON.stringify(CandidateTally.toJSON(tally), null, 2)}\n`);
  }

  get isConnected(): boolean {
    return true;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Where the events went. */
  get eventsDir(): string {
    return join(this.#root, 'events');
  }
}
