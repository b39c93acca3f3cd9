import { readFile, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createEdgeLogger, parseEdgeConfig, startEdge } from '../../edge/index.js';
import type { PipelineSummary } from '../../edge/index.js';
import { FolderPublisher } from '../../edge/publish/folder-publisher.js';
import { createLogSink } from '../harness/log-sink.js';
import { testMirrors, vtestClip } from '../harness/models.js';
import { startRtspServer } from '../harness/rtsp.js';
import { tempDir, waitFor } from '../harness/temp.js';

/**
 * The stretch of vtest.avi compared: 12 s in the suite (six events); the whole video with
 * ZEBRA_RTSP_CLIP_S=80 (about 5 minutes on 2 cores: the live path runs at the camera's pace).
 */
const CLIP_S = Number(process.env.ZEBRA_RTSP_CLIP_S ?? 12);
/** The demo's analysis rate (the edge's fps filter; the video itself stays at vtest's 10 fps). */
const FPS = 5;
/** Normalised box coordinates of the same frame through the same pipeline may differ by this. */
const BOX_TOLERANCE = 1e-6;
const USER = 'cam-admin';
const PASSWORD = 'Sup3r-s3cret';

interface Outcome {
  /** Each event: ms after the first frame, and the track's box at the event (normalised, as published). */
  readonly events: { atMs: number; box: number[] }[];
  readonly summary: PipelineSummary;
  readonly logs: string;
}

/**
 * The demo's camera and zone over `input`, with a signal that is steady DON'T WALK (grace long
 * past) throughout: every entry is an infraction, whatever the offset between the video and the
 * signal, so a live stream that starts a little later decides the same entries.
 */
async function run(work: string, name: string, input: string): Promise<Outcome> {
  const demo = parse(await readFile('edge/demo/edge.yaml', 'utf8')) as { cameras: { source: object }[] };
  const schedule = join(work, 'always-dont-walk.yaml');
  await writeFile(
    schedule,
    'id: always-dont-walk\nversion: 1\noffsetMs: 60000\ncycle:\n  - aspect: steady_dont_walk\n    durationMs: 3600000\n',
  );
  const camera = demo.cameras[0]!;
  const isLive = input.startsWith('rtsp:');
  const config = parseEdgeConfig(
    {
      ...demo,
      outbox: undefined,
      nats: { servers: ['nats://127.0.0.1:1'] },
      stateDir: join(work, name, 'state'),
      models: { allowDownload: false },
      cameras: [
        {
          ...camera,
          source: { ...camera.source, input, fps: FPS, realtime: false, stallTimeoutMs: 3000 },
          signal: { schedule },
        },
      ],
    },
    work,
    {},
    'test',
  );
  const publisher = new FolderPublisher(join(work, name));
  const logs = createLogSink();
  let firstFrameAtMs: number | undefined;
  const edge = await startEdge(
    config,
    createEdgeLogger('info', logs.stream),
    { ZEBRA_MODELS_MIRROR: testMirrors().join(':') },
    {
      transport: publisher,
      onFrame: (frame) => (firstFrameAtMs ??= frame.capturedAtMs),
    },
  );
  let results;
  try {
    if (isLive) {
      // A live stream never ends: the server's end of file drops it, and the edge would reopen
      // it (from the start again). Stop at the first drop.
      await waitFor(
        'the stream to end',
        // A drop after frames (not a first open that failed on a loaded machine).
        () =>
          Promise.resolve(
            logs.lines.some((l) => l.msg === 'camera stream dropped; reconnecting' && Number(l.framesThisRun) > 0) ||
              undefined,
          ),
        (CLIP_S + 60) * 1000,
      );
      await edge.stop();
    }
    results = await edge.done;
  } finally {
    await edge.stop();
  }
  const summary = results[0]!.summary!;
  const events = await Promise.all(
    publisher.eventFiles.map(async (f) => {
      const e = JSON.parse(await readFile(f, 'utf8')) as {
        occurredAtMs: number;
        track: { observations: { box: Record<'x1' | 'y1' | 'x2' | 'y2', number> }[] };
      };
      const b = e.track.observations.at(-1)!.box;
      return {
        atMs: e.occurredAtMs - firstFrameAtMs!,
        box: [b.x1, b.y1, b.x2, b.y2],
      };
    }),
  );
  return { events: events.sort((a, b) => a.atMs - b.atMs), summary, logs: JSON.stringify(logs.lines) };
}

/**
 * `avi` encoded once as a camera does (H.264 from libx264, main profile, no B-frames, a key frame
 * every second at vtest's 10 fps) into an MP4: the file path reads it, and the RTSP server sends
 * these same bytes (--passthrough), so the two paths decode the same bitstream.
 */
function h264(avi: string, mp4: string): string {
  execFileSync('ffmpeg', [
    ...['-loglevel', 'error', '-nostdin', '-i', avi, '-an', '-c:v', 'libx264', '-profile:v', 'main', '-bf', '0'],
    ...['-g', '10', '-keyint_min', '10', '-sc_threshold', '0', '-pix_fmt', 'yuv420p', mp4],
  ]);
  return mp4;
}

describe('vtest.avi over RTSP, end to end', () => {
  it(
    'decides the same events as the file through the same pipeline',
    async () => {
      await using work = await tempDir();
      const clip = h264(await vtestClip(join(work.path, 'clip.avi'), CLIP_S), join(work.path, 'clip.mp4'));
      const startedAtMs = Date.now();
      const file = await run(work.path, 'file', clip);
      console.info(`file path: ${Date.now() - startedAtMs} ms`);
      await using server = await startRtspServer({ file: clip, user: USER, password: PASSWORD, passthrough: true });
      const liveStartedAtMs = Date.now();
      const live = await run(work.path, 'live', server.url);
      const liveMs = Date.now() - liveStartedAtMs;
      console.info(
        `file: ${file.summary.frames} frames, events at ${file.events.map((e) => e.atMs).join(', ')} ms; ` +
          `RTSP (${liveMs} ms): ${live.summary.frames} frames, events at ${live.events.map((e) => e.atMs).join(', ')} ms; ` +
          `largest box difference ${Math.max(0, ...live.events.flatMap((e, i) => e.box.map((v, j) => Math.abs(v - (file.events[i]?.box[j] ?? Infinity)))))}`,
      );
      expect(file.events.length).toBeGreaterThanOrEqual(3);
      // The same bitstream (the file's H.264 bytes, sent as they are), so any difference is the
      // edge's: the live stream loses no frame, and the fps filter picks the same frames (RTP
      // timestamps are the file's, from their own origin; the first frame is a key frame).
      expect(live.summary.frames).toBe(file.summary.frames);
      // Sent at the camera's pace, not as fast as it reads: the stream lasts the video.
      expect(liveMs).toBeGreaterThanOrEqual(((live.summary.frames - 1) * 1000) / FPS);
      // The same events at the same frame times (exact on both timelines, the live one from the
      // stream's own clock) with the same boxes: the same pixels through the same detector and
      // tracker. Allowed: 1e-6 of the frame (a thousandth of a pixel), for float noise; seen
      // exactly equal. (With the server re-encoding the MPEG-4 file instead, two different
      // videos: over the whole video one borderline detection gave RTSP an extra event.)
      expect(live.events.map((e) => e.atMs)).toEqual(file.events.map((e) => e.atMs));
      live.events.forEach((e, i) => {
        const f = file.events[i]!;
        e.box.forEach((v, j) => expect(Math.abs(v - f.box[j]!)).toBeLessThanOrEqual(BOX_TOLERANCE));
      });
      expect(live.summary.candidates).toEqual(file.summary.candidates);
      expect(live.summary.decisions).toEqual(file.summary.decisions);
      expect(live.summary.tracksStarted).toBe(file.summary.tracksStarted);
      expect(live.logs).not.toContain(PASSWORD);
    },
    Math.max(400_000, (CLIP_S * 4 + 120) * 1000),
  );
});
