import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CameraBoard, cameraStatus, isCameraRed } from '../../../edge/camera-health.js';
import type { CameraStatus } from '../../../edge/camera-health.js';
import { judgeEdgeHealth } from '../../../edge/health.js';

const NO_FRAME_MS = 10_000;

describe('cameraStatus', () => {
  it('is stalled exactly when no frame came for noFrameMs (unless failed or ended)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: undefined }),
        fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: undefined }),
        fc.integer({ min: 0, max: 200_000 }),
        (startedAtMs, frameOffset, errorOffset, later) => {
          const lastFrameAtMs = frameOffset === undefined ? undefined : startedAtMs + frameOffset;
          const lastErrorAtMs = errorOffset === undefined ? undefined : startedAtMs + errorOffset;
          const nowMs = Math.max(startedAtMs, lastFrameAtMs ?? 0, lastErrorAtMs ?? 0) + later;
          const s = cameraStatus({ startedAtMs, lastFrameAtMs, lastErrorAtMs, lastError: 'x' }, nowMs, NO_FRAME_MS);
          expect(s.state === 'stalled').toBe(nowMs - (lastFrameAtMs ?? startedAtMs) >= NO_FRAME_MS);
          if (s.state === 'running') {
            expect(lastFrameAtMs).toBeDefined();
            expect(lastErrorAtMs === undefined || lastErrorAtMs < lastFrameAtMs!).toBe(true);
          }
        },
      ),
    );
  });

  it('failed and ended are final; a drop after the last frame is connecting again', () => {
    const watch = { startedAtMs: 0, lastFrameAtMs: 1_000 };
    expect(cameraStatus(watch, 2_000, NO_FRAME_MS).state).toBe('running');
    expect(cameraStatus({ ...watch, lastErrorAtMs: 1_500, lastError: 'refused' }, 2_000, NO_FRAME_MS)).toMatchObject({
      state: 'connecting',
      lastError: 'refused',
    });
    expect(cameraStatus({ ...watch, failed: 'bad file' }, 2_000, NO_FRAME_MS).state).toBe('failed');
    expect(cameraStatus({ ...watch, ended: true }, 99_000, NO_FRAME_MS).state).toBe('ended');
    expect([isCameraRed('stalled'), isCameraRed('failed'), isCameraRed('ended'), isCameraRed('connecting')]).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });

  it('CameraBoard follows the events of a run', () => {
    let nowMs = 0;
    const board = new CameraBoard(['a'], () => nowMs);
    expect(board.statuses(NO_FRAME_MS).get('a')!.state).toBe('connecting');
    nowMs = 500;
    board.frame('a');
    expect(board.statuses(NO_FRAME_MS).get('a')!.state).toBe('running');
    nowMs = 600;
    board.dropped('a', 'EDGE_SOURCE_FAILED: refused');
    expect(board.statuses(NO_FRAME_MS).get('a')).toMatchObject({ state: 'connecting', lastError: /refused/ });
    nowMs = 500 + NO_FRAME_MS;
    expect(board.statuses(NO_FRAME_MS).get('a')!.state).toBe('stalled');
  });
});

describe('judgeEdgeHealth', () => {
  const running: CameraStatus = { state: 'running', sinceFrameMs: 100, hasFrame: true };
  const green = {
    natsConnected: true,
    cameras: new Map([['a', running]]),
    signalStale: new Map([['a', false]]),
    evidence: new Map([['a', 'ok']]),
    spoolWaitingMs: 0,
  };
  const limits = { spoolWaitMs: 60_000 };

  it('is green when every part is, and names each part', () => {
    const h = judgeEdgeHealth(green, limits);
    expect(h.ok).toBe(true);
    expect(h.checks).toEqual({
      nats: 'connected',
      'camera:a': 'running: last frame 0.1 s ago',
      'signal:a': 'ok',
      'evidence:a': 'ok',
      spool: 'empty',
    });
  });

  it('turns red on each condition alone', () => {
    const reds = [
      { ...green, cameras: new Map([['a', { ...running, state: 'stalled' as const }]]) },
      { ...green, signalStale: new Map([['a', true]]) },
      { ...green, spoolWaitingMs: 60_000 },
      { ...green, natsConnected: false },
      { ...green, outbox: 'full (events)' },
      { ...green, evidence: new Map([['a', 'full (x)']]) },
    ];
    for (const inputs of reds) expect(judgeEdgeHealth(inputs, limits).ok, JSON.stringify(inputs)).toBe(false);
    expect(judgeEdgeHealth({ ...green, spoolWaitingMs: 59_999 }, limits)).toMatchObject({
      ok: true,
      checks: { spool: 'sending: messages waiting 60 s' },
    });
    expect(judgeEdgeHealth({ ...green, spoolWaitingMs: 60_000 }, limits).checks.spool).toMatch(/^growing/);
  });
});
