import { describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadEdgeConfig, parseEdgeConfig } from '../../../edge/config.js';
import { tempDir } from '../../harness/temp.js';
import { sourceInputProblem } from '../../../edge/frames/input-check.js';

describe('a camera source input', () => {
  it.each([
    'rtsp://cam.local:554/stream1',
    'https://cam/feed.mjpg',
    '/var/video/a.mp4',
    'videos/a.mp4',
    'sample:vtest-video',
  ])('accepts %s', (input) => expect(sourceInputProblem(input)).toBeUndefined());
  it.each([
    ['rtsp//host/stream', /mistyped URL: did you mean rtsp:\/\//],
    ['rtsp:/host/stream', /rtsp:\/\/host/],
    ['rtps://host', /rtps: is not a stream scheme/],
    ['file:///v.mp4', /plain path/],
    [' rtsp://host', /spaces/],
  ])('refuses %s instead of reading it as a path', (input, message) =>
    expect(sourceInputProblem(input)).toMatch(message),
  );
});

const CAMERA = {
  id: 'south',
  source: { input: 'sample:vtest-video' },
  zone: {
    id: 'z',
    version: 1,
    polygon: [
      [0.1, 0.1],
      [0.9, 0.1],
      [0.9, 0.9],
      [0.1, 0.9],
    ],
  },
  signal: { schedule: 'schedule.yaml' },
};

describe('edge config errors', () => {
  it('are all reported at once, each naming its key', () => {
    const raw = {
      deviceId: 'dev-1',
      siteId: 'site-1',
      nats: { servers: ['tls://127.0.0.1:4222'] },
      cameras: [
        { ...CAMERA, source: { input: 'rtsp//host/s' } },
        {
          ...CAMERA,
          id: 'north',
          zone: {
            ...CAMERA.zone,
            polygon: [
              [0.2, 0.2],
              [0.8, 0.8],
              [0.8, 0.2],
              [0.2, 0.8],
            ],
          },
        },
        { ...CAMERA, id: 'east', source: { input: 'sample:vtest-video', fps: 90 } },
      ],
    };
    let message = '';
    try {
      parseEdgeConfig(raw, '/tmp', {}, 'edge.yaml');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^edge\.yaml: \d+ problems:/);
    expect(message).toMatch(/cameras\.0\.source\.input: "rtsp\/\/host\/s": looks like a mistyped URL/);
    expect(message).toMatch(/cameras\.1\.zone\.polygon: edge \d-\d crosses edge \d-\d/);
    expect(message).toMatch(/cameras\.2\.source\.fps: /);
  });
});

describe('files an edge config names', () => {
  it('a missing schedule file is named at config load, with its key, not later by ffprobe', async () => {
    await using dir = await tempDir();
    const file = join(dir.path, 'edge.yaml');
    await writeFile(
      file,
      stringify({
        deviceId: 'dev-1',
        siteId: 'site-1',
        stateDir: 'state',
        nats: { servers: ['tls://127.0.0.1:4222'] },
        cameras: [CAMERA, { ...CAMERA, id: 'north', signal: { schedule: 'other.yaml' } }],
      }),
    );
    await expect(loadEdgeConfig(file, {})).rejects.toThrow(
      new RegExp(
        `^${file}: 2 problems:\\n  cameras\\.0\\.signal\\.schedule: cannot read ${join(dir.path, 'schedule.yaml')}.*\\n` +
          `  cameras\\.1\\.signal\\.schedule: cannot read ${join(dir.path, 'other.yaml')}`,
      ),
    );
  });
});
