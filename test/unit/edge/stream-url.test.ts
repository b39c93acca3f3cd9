import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LIVE_STAMPS_START, stampLiveFrame } from '../../../edge/frames/live-stamps.js';
import type { LiveStampState } from '../../../edge/frames/live-stamps.js';
import { hideCredentials, isStreamUrl, streamInputArgs } from '../../../edge/frames/stream-url.js';

describe('camera URLs', () => {
  it('sets RTSP over TCP, video only, a bounded analysis and the socket timeout in µs', () => {
    expect(streamInputArgs('rtsp://cam.local/stream1', 10_000)).toEqual([
      '-rtsp_transport',
      'tcp',
      '-allowed_media_types',
      'video',
      '-analyzeduration',
      '100000',
      '-timeout',
      '10000000',
    ]);
    // ffprobe's first reading of the size may analyse longer.
    expect(streamInputArgs('rtsp://cam.local/stream1', 10_000, 1_000_000)).toContain('1000000');
    expect(streamInputArgs('rtsps://cam.local/s', 2500)).toContain('2500000');
    expect(streamInputArgs('https://cam.local/s.ts', 2500)).toEqual(['-rw_timeout', '2500000']);
    expect(streamInputArgs('/videos/a.mp4', 2500)).toEqual([]);
    expect(isStreamUrl('rtsp://x/y')).toBe(true);
    expect(isStreamUrl('file:///x')).toBe(false);
  });

  it('hides user and password in URLs and wherever the camera URL’s secrets appear', () => {
    const url = 'rtsp://admin:p%40ss%2Fw0rd@10.0.0.5:554/Streaming/101';
    const message = `ffprobe cannot read ${url}: 401; auth admin with p@ss/w0rd failed`;
    const hidden = hideCredentials(message, url);
    expect(hidden).toBe('ffprobe cannot read rtsp://***@10.0.0.5:554/Streaming/101: 401; auth *** with *** failed');
    expect(hideCredentials('rtsp://u:a@b@host/x and http://k@h/')).toBe('rtsp://***@host/x and http://***@h/');
    expect(hideCredentials('rtsp://host:554/x?user=a@b')).toBe('rtsp://host:554/x?user=a@b');
  });

  it('property: no user or password of 6+ URL-safe characters survives in a message naming its URL', () => {
    const part = fc.stringMatching(/^[A-Za-z0-9._~!$&'()*+,;=-]{6,20}$/);
    fc.assert(
      fc.property(part, part, fc.string({ maxLength: 40 }), (user, password, noise) => {
        const url = `rtsp://${user}:${password}@192.0.2.1:554/cam`;
        const hidden = hideCredentials(`${noise} open ${url} failed (${password}) ${noise}`, url);
        expect(hidden).not.toContain(password);
        expect(hidden).toContain('rtsp://***@192.0.2.1:554/cam');
      }),
    );
  });
});

describe('live frame stamps', () => {
  const run = (arrivals: number[], fps: number, isBackedUp = false): number[] => {
    let state: LiveStampState = LIVE_STAMPS_START;
    return arrivals.map((arrivedAtMs, index) => {
      const out = stampLiveFrame(state, { index, fps, arrivedAtMs, isBackedUp, maxDriftMs: 2000 });
      state = out.state;
      return out.capturedAtMs;
    });
  };

  it('keeps the stream’s spacing for frames that arrive in a burst (ffmpeg’s analysis second)', () => {
    // Five frames buffered during analysis arrive within 4 ms, then one every 200 ms.
    const arrivals = [1000, 1001, 1002, 1003, 1004, 1205, 1404, 1606];
    expect(run(arrivals, 5)).toEqual([1000, 1200, 1400, 1600, 1800, 2000, 2200, 2400]);
  });

  it('property: on time arrivals with jitter give the timeline; stamps always go up', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.array(fc.integer({ min: 0, max: 150 }), { minLength: 2, maxLength: 200 }),
        (fps, jitters) => {
          const arrivals = jitters.map((j, i) => 1_000_000 + Math.round((i * 1000) / fps) + j);
          const stamps = run(arrivals, fps);
          stamps.forEach((s, i) => expect(Math.abs(s - (arrivals[0]! + Math.round((i * 1000) / fps)))).toBe(0));
          for (let i = 1; i < stamps.length; i++) expect(stamps[i]!).toBeGreaterThan(stamps[i - 1]!);
        },
      ),
    );
  });

  it('re-anchors on a camera clock that drifts, but not on frames late because the consumer was behind', () => {
    // A camera 10 % slow: the arrivals drift behind the timeline; re-anchored once 2 s apart.
    const slow = Array.from({ length: 120 }, (_, i) => 1000 + i * 220);
    const stamps = run(slow, 5);
    expect(Math.max(...stamps.map((s, i) => Math.abs(slow[i]! - s)))).toBeLessThanOrEqual(2000);
    // Backed up: the same late arrivals keep the timeline (the frames waited for us).
    const backed = run(slow, 5, true);
    expect(backed.at(-1)).toBe(1000 + 119 * 200);
  });
});
