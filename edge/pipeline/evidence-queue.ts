import type { Logger } from '../logger.js';
import type { EdgeMetrics } from '../metrics.js';

/** How much evidence may wait on the device. Config keys `evidence.maxQueuedEvents` and `evidence.maxQueuedFrameBytes`. */
export interface EvidenceQueueLimits {
  /** Per camera: infractions whose evidence is being collected, redacted or written at once. */
  readonly maxQueuedEvents: number;
  /** All cameras together: bytes of frame pixels (unredacted and redacted) reserved for queued evidence. */
  readonly maxQueuedFrameBytes: number;
}

export const DEFAULT_EVIDENCE_QUEUE_LIMITS: EvidenceQueueLimits = {
  maxQueuedEvents: 4,
  maxQueuedFrameBytes: 1024 * 1024 * 1024,
};

/** Why an event's evidence was not queued: the limit that was reached, and a line for the event and the log. */
export interface QueueRefusal {
  readonly key: 'evidence.maxQueuedEvents' | 'evidence.maxQueuedFrameBytes';
  readonly detail: string;
}

const MB = 1024 * 1024;
const mb = (bytes: number): string => (bytes / MB).toFixed(0);

/**
 * Whether one more event's evidence fits: `queuedEvents` of this camera, `reservedBytes` of all
 * cameras, `requestBytes` for the new one. Undefined when it fits. Pure.
 */
export function refuseEvidence(
  queuedEvents: number,
  reservedBytes: number,
  requestBytes: number,
  limits: EvidenceQueueLimits,
): QueueRefusal | undefined {
  if (queuedEvents >= limits.maxQueuedEvents)
    return {
      key: 'evidence.maxQueuedEvents',
      detail:
        `evidence queue full: ${queuedEvents} of this camera's events already wait for their evidence ` +
        `(evidence.maxQueuedEvents ${limits.maxQueuedEvents}); sent without evidence, no frame kept`,
    };
  if (reservedBytes + requestBytes > limits.maxQueuedFrameBytes)
    return {
      key: 'evidence.maxQueuedFrameBytes',
      detail:
        `evidence queue full: this event's frames (${mb(requestBytes)} MB) and those held for queued evidence ` +
        `(${mb(reservedBytes)} MB) exceed evidence.maxQueuedFrameBytes (${mb(limits.maxQueuedFrameBytes)} MB); ` +
        'sent without evidence, no frame kept',
    };
  return undefined;
}

/** Evidence in the queue: how many bytes of frames it holds right now. */
export interface HeldEvidence {
  heldBytes(): number;
}

/** A place in the queue; release it once the event is published (or failed). Safe to call twice. */
export interface EvidenceTicket {
  release(): void;
}

export type Admission =
  { readonly admitted: true; readonly ticket: EvidenceTicket } | ({ readonly admitted: false } & QueueRefusal);

/** A camera's refusals are reported (health, alarm) for this long after the last one. */
export const FULL_HOLD_MS = 60_000;

interface CameraQueue {
  readonly held: Set<{ readonly evidence: HeldEvidence; readonly reservedBytes: number }>;
  refusedTotal: number;
  lastRefusedAtMs: number;
  lastRefusal: string;
}

/**
 * The evidence queues of every camera of one device: at most `maxQueuedEvents` per camera and
 * `maxQueuedFrameBytes` reserved across all cameras. A new infraction either gets a ticket (its
 * evidence is collected) or a refusal (the event is published at once with the evidence withheld
 * and the reason). Every refusal is counted, logged as an ALERT, and shown on /healthz for a minute.
 */
export class EvidenceQueues {
  readonly limits: EvidenceQueueLimits;
  readonly #cameras = new Map<string, CameraQueue>();
  readonly #metrics: EdgeMetrics | undefined;
  readonly #logger: Logger;
  readonly #nowMs: () => number;
  #reservedBytes = 0;

  constructor(limits: EvidenceQueueLimits, logger: Logger, metrics?: EdgeMetrics, nowMs: () => number = Date.now) {
    this.limits = limits;
    this.#logger = logger;
    this.#metrics = metrics;
    this.#nowMs = nowMs;
    metrics?.watchEvidenceFrameBytes(() => ({ reserved: this.#reservedBytes, held: this.heldFrameBytes() }));
  }

  #camera(cameraId: string): CameraQueue {
    let queue = this.#cameras.get(cameraId);
    if (!queue) {
      queue = { held: new Set(), refusedTotal: 0, lastRefusedAtMs: -Infinity, lastRefusal: '' };
      this.#cameras.set(cameraId, queue);
    }
    return queue;
  }

  /** Asks for room for one event's evidence, expected to hold up to `requestBytes` of frames. */
  admit(cameraId: string, requestBytes: number, evidence: HeldEvidence): Admission {
    const queue = this.#camera(cameraId);
    const refusal = refuseEvidence(queue.held.size, this.#reservedBytes, requestBytes, this.limits);
    if (refusal) {
      queue.refusedTotal += 1;
      queue.lastRefusedAtMs = this.#nowMs();
      queue.lastRefusal = refusal.key;
      this.#metrics?.evidenceWithheld.inc({ camera: cameraId, reason: 'queue_full' });
      this.#logger.error(
        { camera: cameraId, limit: refusal.key, queuedEvents: queue.held.size, reservedBytes: this.#reservedBytes },
        `ALERT: ${refusal.detail}`,
      );
      return { admitted: false, ...refusal };
    }
    const entry = { evidence, reservedBytes: requestBytes };
    queue.held.add(entry);
    this.#reservedBytes += requestBytes;
    this.#metrics?.evidenceQueuedEvents.set({ camera: cameraId }, queue.held.size);
    let released = false;
    return {
      admitted: true,
      ticket: {
        release: () => {
          if (released) return;
          released = true;
          queue.held.delete(entry);
          this.#reservedBytes -= entry.reservedBytes;
          this.#metrics?.evidenceQueuedEvents.set({ camera: cameraId }, queue.held.size);
        },
      },
    };
  }

  /** Whether the camera's next event, asking for `requestBytes`, would be refused now. */
  isFull(cameraId: string, requestBytes: number): boolean {
    const queued = this.#cameras.get(cameraId)?.held.size ?? 0;
    return refuseEvidence(queued, this.#reservedBytes, requestBytes, this.limits) !== undefined;
  }

  /** Events of the camera whose evidence is queued now. */
  queuedEvents(cameraId: string): number {
    return this.#cameras.get(cameraId)?.held.size ?? 0;
  }

  /** Bytes reserved for queued evidence, all cameras (what the limit bounds). */
  get reservedFrameBytes(): number {
    return this.#reservedBytes;
  }

  /** Bytes of frames queued evidence actually holds now, all cameras (each job counted on its own). */
  heldFrameBytes(): number {
    let total = 0;
    for (const queue of this.#cameras.values()) for (const { evidence } of queue.held) total += evidence.heldBytes();
    return total;
  }

  /** For /healthz: 'ok', or 'full (…)' for a minute after the camera's last refusal. */
  state(cameraId: string): string {
    const queue = this.#cameras.get(cameraId);
    if (!queue || this.#nowMs() - queue.lastRefusedAtMs >= FULL_HOLD_MS) return 'ok';
    return `full (${queue.lastRefusal} reached; ${queue.refusedTotal} events sent without evidence since start)`;
  }
}
