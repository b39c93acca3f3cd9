import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inputVideoSize, isNoteworthy } from '../../../edge/frames/ffmpeg-log.js';
import { streamEndpoint } from '../../../edge/frames/reachable.js';
import type { Frame, FrameSource } from '../../../edge/frames/frame.js';
import { ReconnectingFrameSource } from '../../../edge/frames/reconnecting-source.js';
import { createEdgeLogger } from '../../../edge/logger.js';
import { MAX_FAST_EMPTY_RUNS, isFastRetry, isRefusal, reconnectDelayMs } from '../../../edge/frames/reconnect-delay.js';

const OPTIONS = {
  baseDelayMs: 500,
  maxDelayMs: 5000,
  healthyAfterFrames: 25,
  fastRetryDelayMs: 250,
  fastRetryForMs: 10_000,
};

describe('the wait before a camera is reopened', () => {
  it('is the fast delay early in an outage, then capped exponential backoff (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 60_000 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.integer({ min: 0, max: 120_000 }),
        fc.integer({ min: 0, max: 50 }),
        fc.integer({ min: 0, max: 8 }),
        (baseDelayMs, maxDelayMs, fastRetryDelayMs, fastRetryForMs, outageMs, slowAttempt, emptyRuns) => {
          const options = { baseDelayMs, maxDelayMs, healthyAfterFrames: 5, fastRetryDelayMs, fastRetryForMs };
          const delayMs = reconnectDelayMs({ outageMs, slowAttempt, isRefused: false, emptyRuns }, options);
          expect(delayMs).toBeLessThanOrEqual(maxDelayMs);
          expect(delayMs).toBeGreaterThan(0);
          // Fast early in the outage, until the runs that gave no frame use up their fast retries.
          if (outageMs < fastRetryForMs && emptyRuns <= MAX_FAST_EMPTY_RUNS)
            expect(delayMs).toBe(Math.min(fastRetryDelayMs, maxDelayMs));
          else expect(delayMs).toBe(Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, slowAttempt - 1)));
          // A refusal never comes fast: it backs off as if the window were over.
          const refused = reconnectDelayMs({ outageMs, slowAttempt, isRefused: true, emptyRuns }, options);
          expect(refused).toBe(Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, slowAttempt - 1)));
        },
      ),
    );
  });

  it('backs off from the first retry when no fast window is configured', () => {
    const plain = { baseDelayMs: 200, maxDelayMs: 1000, healthyAfterFrames: 5 };
    expect(isFastRetry({ outageMs: 0, isRefused: false, emptyRuns: 0 }, plain)).toBe(false);
    expect(
      [1, 2, 3, 4].map((slowAttempt) =>
        reconnectDelayMs({ outageMs: 0, slowAttempt, isRefused: false, emptyRuns: 0 }, plain),
      ),
    ).toEqual([200, 400, 800, 1000]);
    expect(reconnectDelayMs({ outageMs: 9_999, slowAttempt: 0, isRefused: false, emptyRuns: 0 }, OPTIONS)).toBe(250);
    expect(reconnectDelayMs({ outageMs: 10_000, slowAttempt: 1, isRefused: false, emptyRuns: 0 }, OPTIONS)).toBe(500);
  });

  it('knows a refusal of the credentials from ffmpeg’s and ffprobe’s messages', () => {
    expect(
      isRefusal(
        'EDGE_FRAME_SOURCE_FAILED: ffprobe cannot read rtsp://***@h/x: method DESCRIBE failed: 401 Unauthorized',
      ),
    ).toBe(true);
    expect(isRefusal('ffmpeg exited with code 1: Server returned 403 Forbidden (access denied)')).toBe(true);
    expect(isRefusal('rtsp://***@h/x: Connection refused')).toBe(false);
    expect(isRefusal('the stream ended')).toBe(false);
  });
});

describe('ffmpeg’s level-tagged header', () => {
  it('gives the input’s video size, not the output’s, and keeps only warnings and errors', () => {
    const input =
      '[info]   Stream #0:0: Video: h264 (Constrained Baseline), yuv420p(tv, smpte170m, progressive), 768x576 [SAR 1:1 DAR 4:3], 10 fps, 10 tbr, 90k tbn';
    expect(inputVideoSize(input)).toEqual({ widthPx: 768, heightPx: 576 });
    expect(
      inputVideoSize(
        '[info]   Stream #0:1[0x101]: Video: h264 (High) ([27][0][0][0] / 0x001B), yuv420p(progressive), 1920x1080, 25 fps',
      ),
    ).toEqual({ widthPx: 1920, heightPx: 1080 });
    expect(inputVideoSize('[info]   Stream #0:0 -> #0:0 (h264 (native) -> rawvideo (native))')).toBeUndefined();
    expect(inputVideoSize('[info]   Stream #0:0: Video: h264, none')).toBeUndefined();
    expect(inputVideoSize("[info] Input #0, rtsp, from 'rtsp://u:p@h/x':")).toBeUndefined();
    expect(isNoteworthy("[info] Input #0, rtsp, from 'rtsp://u:p@h/x':")).toBe(false);
    expect(isNoteworthy('[h264 @ 0x55] [info] concealing 864 DC errors')).toBe(false);
    expect(isNoteworthy('[tcp @ 0x55] [error] Connection to tcp://127.0.0.1:1 failed: Connection refused')).toBe(true);
    expect(isNoteworthy('[warning] rtsp://h/x: corrupt decoded frame in stream 0')).toBe(true);
    expect(isNoteworthy('  ')).toBe(false);
  });
});

describe('a stream’s TCP endpoint', () => {
  it('takes the URL’s port or the scheme’s default, never the credentials', () => {
    expect(streamEndpoint('rtsp://u:p%40ss@192.0.2.10:8554/Streaming/101')).toEqual({ host: '192.0.2.10', port: 8554 });
    expect(streamEndpoint('rtsp://cam.local/s')).toEqual({ host: 'cam.local', port: 554 });
    expect(streamEndpoint('rtsps://cam.local/s')).toEqual({ host: 'cam.local', port: 322 });
    expect(streamEndpoint('https://[2001:db8::1]/s.m3u8')).toEqual({ host: '2001:db8::1', port: 443 });
    expect(streamEndpoint('srt://cam.local:9000')).toBeUndefined();
    expect(streamEndpoint('not a url')).toBeUndefined();
  });
});

describe('a camera whose port is open but whose stream keeps failing', () => {
  /** Opens that fail at once after yielding `framesEach` frames; the planned waits of the first `drops` drops. */
  async function plannedWaits(framesEach: number, drops: number): Promise<number[]> {
    const waits: number[] = [];
    const frame: Frame = { cameraId: 'c', index: 0, capturedAtMs: 0, widthPx: 2, heightPx: 2, rgb: Buffer.alloc(12) };
    const open = (): FrameSource => ({
      async *[Symbol.asyncIterator]() {
        for (let i = 0; i < framesEach; i++) yield await Promise.resolve(frame);
        throw new Error('404 Not Found');
      },
      close: () => Promise.resolve(),
    });
    const options = { ...OPTIONS, baseDelayMs: 20, maxDelayMs: 160, fastRetryDelayMs: 5, fastRetryForMs: 60_000 };
    const source = new ReconnectingFrameSource(open, options, createEdgeLogger('silent'), {
      reachable: () => Promise.resolve(true),
      onRestart: (_reason, delayMs) => {
        waits.push(delayMs);
        if (waits.length === drops) void source.close();
      },
    });
    for await (const _ of source) void _;
    return waits;
  }

  it('retries fast three times, then backs off, instead of starting a decoder every fast delay', async () => {
    expect(await plannedWaits(0, 8)).toEqual([5, 5, 5, 20, 40, 80, 160, 160]);
  });

  it('keeps retrying fast while each run gives frames (a stream that drops, not one that never starts)', async () => {
    expect(await plannedWaits(2, 6)).toEqual([5, 5, 5, 5, 5, 5]);
  });
});
