import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { CandidateTally, InfractionEvent } from '../../proto/index.js';
import { EdgeError, EdgeErrorCode, errorMessage } from '../errors.js';

/** One evidence object waiting in the spool. */
export interface SpooledObject {
  readonly objectKey: string;
  readonly mediaType: string;
  readonly file: string;
}

/** A signed event and its evidence, on disk until the site outbox holds them. */
export interface SpooledEvent {
  readonly kind: 'event';
  readonly name: string;
  readonly event: InfractionEvent;
  readonly evidence: readonly SpooledObject[];
  read(object: SpooledObject): Promise<Buffer>;
}

/** A signed candidate tally (an hour's full counts; the core keeps the highest it sees). */
export interface SpooledTally {
  readonly kind: 'tally';
  readonly name: string;
  readonly tally: CandidateTally;
}

const EVENT_FILE = 'event.pb';
const TALLY_FILE = 'tally.pb';
const MANIFEST_FILE = 'evidence.json';

/** A ready entry's folder name: camera, then zero-padded sequence, so names sort in publishing order. */
export function spoolEntryName(event: Pick<InfractionEvent, 'cameraId' | 'cameraSeq' | 'eventId'>): string {
  return `${event.cameraId}.${String(event.cameraSeq).padStart(12, '0')}.${event.eventId}`;
}

async function writeDurably(path: string, bytes: Uint8Array | string): Promise<void> {
  const file = await open(path, 'w');
  try {
    await file.writeFile(bytes);
    await file.sync();
  } finally {
    await file.close();
  }
}

/**
 * The device's write-ahead spool (`stateDir/spool`). Evidence is written under `pending/`
 * as it is encoded; when the signed event follows, the folder moves to `ready/` in one
 * rename, so a ready entry is always whole. Entries leave only once the outbox holds them.
 * Only redacted evidence ever reaches a publisher, so the spool holds nothing the core would not.
 */
export class EventSpool {
  readonly #pendingDir: string;
  readonly #readyDir: string;
  /** Evidence written so far, per event id (the event id is the third part of every object key). */
  readonly #objects = new Map<string, SpooledObject[]>();

  private constructor(root: string) {
    this.#pendingDir = join(root, 'pending');
    this.#readyDir = join(root, 'ready');
  }

  /**
   * Opens the spool. Pending folders left by a run that stopped before signing their event
   * are removed: no event names that evidence, and no sequence number was given to it.
   */
  static async open(root: string): Promise<{ spool: EventSpool; discarded: string[] }> {
    const spool = new EventSpool(root);
    try {
      await mkdir(spool.#readyDir, { recursive: true });
      const discarded = await readdir(spool.#pendingDir).catch(() => [] as string[]);
      await rm(spool.#pendingDir, { recursive: true, force: true });
      await mkdir(spool.#pendingDir, { recursive: true });
      return { spool, discarded };
    } catch (err) {
      throw new EdgeError(EdgeErrorCode.STATE_INVALID, `cannot open the spool in ${root}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }

  static eventIdOf(objectKey: string): string {
    const eventId = objectKey.split('/')[2];
    if (!eventId) throw new EdgeError(EdgeErrorCode.PUBLISH_FAILED, `evidence key ${objectKey} names no event`);
    return eventId;
  }

  async putEvidence(objectKey: string, bytes: Uint8Array, mediaType: string): Promise<void> {
    const eventId = EventSpool.eventIdOf(objectKey);
    const objects = this.#objects.get(eventId) ?? [];
    const file = `${objects.length}.bin`;
    await mkdir(join(this.#pendingDir, eventId), { recursive: true });
    await writeDurably(join(this.#pendingDir, eventId, file), bytes);
    this.#objects.set(eventId, [...objects, { objectKey, mediaType, file }]);
  }

  /** Makes the event and the evidence written for it one ready entry. Resolves once it is on disk. */
  async add(event: InfractionEvent): Promise<string> {
    const dir = join(this.#pendingDir, event.eventId);
    const evidence = this.#objects.get(event.eventId) ?? [];
    await mkdir(dir, { recursive: true });
    await writeDurably(join(dir, MANIFEST_FILE), JSON.stringify(evidence));
    await writeDurably(join(dir, EVENT_FILE), InfractionEvent.encode(event).finish());
    const name = spoolEntryName(event);
    await rename(dir, join(this.#readyDir, name));
    this.#objects.delete(event.eventId);
    return name;
  }

  /**
   * Adds a tally as an entry of its own (never replacing an older one, which may be on its way
   * out): after an outage the hour's tallies go out in order and the last one counts.
   */
  async addTally(tally: CandidateTally): Promise<string> {
    const name = `${tally.cameraId}.tally.${String(tally.hourStartMs).padStart(16, '0')}.${String(Date.now()).padStart(16, '0')}.${randomUUID()}`;
    const dir = join(this.#pendingDir, name);
    await mkdir(dir, { recursive: true });
    await writeDurably(join(dir, TALLY_FILE), CandidateTally.encode(tally).finish());
    await rename(dir, join(this.#readyDir, name));
    return name;
  }

  /** Ready entries in publishing order (per camera: events by sequence number, then tallies by hour). */
  async ready(): Promise<string[]> {
    return (await readdir(this.#readyDir)).sort();
  }

  async load(name: string): Promise<SpooledEvent | SpooledTally> {
    const dir = join(this.#readyDir, name);
    try {
      if (name.includes('.tally.'))
        return { kind: 'tally', name, tally: CandidateTally.decode(await readFile(join(dir, TALLY_FILE))) };
      const event = InfractionEvent.decode(await readFile(join(dir, EVENT_FILE)));
      const evidence = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as SpooledObject[];
      return { kind: 'event', name, event, evidence, read: (object) => readFile(join(dir, object.file)) };
    } catch (err) {
      throw new EdgeError(EdgeErrorCode.STATE_INVALID, `spooled event ${name} is unreadable: ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }

  async remove(name: string): Promise<void> {
    await rm(join(this.#readyDir, name), { recursive: true, force: true });
  }

  /** Sets an unreadable entry aside (it is kept, never sent, never deleted). */
  async quarantine(name: string): Promise<void> {
    await mkdir(join(this.#readyDir, '..', 'unreadable'), { recursive: true });
    await rename(join(this.#readyDir, name), join(this.#readyDir, '..', 'unreadable', name));
  }
}
