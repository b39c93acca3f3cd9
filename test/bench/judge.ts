/**
 * bench:judge — the whole privacy check by the independent judge (YuNet, test/harness/judge.ts),
 * with the earlier path beside the current one so the check is seen to catch leaks:
 *  - city.jpg and the crowd-dev photos downscaled to median faces of 11, 15 and 20 px, redacted
 *    as `zebra redact` does (stored as JPEG 85): multi-scale search, the earlier whole-frame
 *    search, each also with no person detected (a dense crowd: the face search alone), and no
 *    redaction at all;
 *  - every keyframe and decoded clip frame of the edge's evidence for all of vtest.avi at 5 fps:
 *    multi-scale standard, multi-scale need-to-know (the demo), and the earlier path.
 * Prints, per set, faces found before and still found at the same place after, by size band.
 * JUDGE_VTEST=0 skips the vtest runs.
 */
import { performance } from 'node:perf_hooks';
import { UltrafaceOnnxDetector } from '../../edge/detect/face-detector.js';
import { YoloxOnnxDetector } from '../../edge/detect/onnx-detector.js';
import { EvidenceRedactor } from '../../edge/redact/redactor.js';
import type { EvidenceRedactorOptions } from '../../edge/redact/redactor.js';
import { YunetJudge, emptyTally, formatTally, sizeOf, tallyLeaks } from '../harness/judge.js';
import type { LeakTally } from '../harness/judge.js';
import type { RgbImage } from '../harness/judge-evidence.js';
import {
  crowdDevPhotos,
  demoConfig,
  loadImage,
  mosaic,
  redactAsStored,
  vtestEvidence,
  vtestPath,
} from '../harness/judge-evidence.js';
import { manifestFile } from '../harness/models.js';

const TARGETS_PX = [11, 15, 20];
const BASE: EvidenceRedactorOptions = {
  method: 'pixelate',
  minBlockPx: 6,
  personDetectorId: 'yolox-nano',
  faceMarginRatio: 0.25,
};

async function main(): Promise<void> {
  const started = performance.now();
  const judge = await YunetJudge.create();
  const yolox = await manifestFile('yolox-nano');
  const face = await manifestFile('ultraface-rfb-640');
  const persons = await YoloxOnnxDetector.create(yolox.path, yolox.entry, {
    minScore: 0.3,
    nmsIou: 0.45,
    minBoxHeight: 0.02,
    classIds: [0],
    intraOpThreads: 1,
  });
  // As the edge and `zebra redact` run it: windows that fit UltraFace-320's input searched there.
  const faces = await UltrafaceOnnxDetector.create(
    face.path,
    face.entry,
    { minScore: 0.3, nmsIou: 0.3, intraOpThreads: 1 },
    await manifestFile('ultraface-rfb-320'),
  );
  const tileScale = Number(process.env.JUDGE_TILE_SCALE ?? 2);
  const paths = {
    'multi-scale': new EvidenceRedactor({ ...BASE, faceSearch: 'multi-scale', tileScale }, faces),
    'earlier whole-frame': new EvidenceRedactor({ ...BASE, faceSearch: 'whole-frame' }, faces),
  };
  const lines: string[] = [];
  const say = (line: string): void => {
    lines.push(line);
    process.stderr.write(`${line}\n`);
  };
  try {
    const images: { name: string; image: RgbImage }[] = [
      { name: 'city.jpg', image: await loadImage((await manifestFile('city-image')).path) },
    ];
    for (const path of await crowdDevPhotos()) {
      const full = await loadImage(path);
      const sizes = (await judge.faces(full.rgb, full.widthPx, full.heightPx)).map(sizeOf).sort((a, b) => a - b);
      const median = sizes[Math.floor(sizes.length / 2)];
      if (median === undefined) continue;
      for (const target of TARGETS_PX)
        images.push({
          name: `${path.split('/').at(-1)}@${target}`,
          image: await loadImage(path, Math.min(1, target / median)),
        });
    }
    // The downscaled photos side by side on one 1280x960 frame: a wide view of a crowd.
    const crowd = images.slice(1).map((i) => i.image);
    images.push({ name: 'mosaic', image: mosaic(crowd, 1280, 960) });
    const photoTallies: Record<string, LeakTally> = { none: emptyTally() };
    for (const name of Object.keys(paths)) {
      photoTallies[name] = emptyTally();
      photoTallies[`${name}, no person found`] = emptyTally();
    }
    for (const { image } of images) {
      const before = await judge.faces(image.rgb, image.widthPx, image.heightPx);
      tallyLeaks(photoTallies.none!, before, before);
      for (const [name, redactor] of Object.entries(paths)) {
        const stored = await redactAsStored(image, persons, redactor);
        tallyLeaks(photoTallies[name]!, before, await judge.faces(stored.rgb, stored.widthPx, stored.heightPx));
        // As in a dense crowd where the person detector finds nobody: the face search alone.
        const alone = await redactAsStored(image, undefined, redactor);
        tallyLeaks(
          photoTallies[`${name}, no person found`]!,
          before,
          await judge.faces(alone.rgb, alone.widthPx, alone.heightPx),
        );
      }
    }
    say(
      `photos: city.jpg, ${images.length - 2} crowd-dev images downscaled (median faces ${TARGETS_PX.join(', ')} px), and all of those on one 1280x960 frame`,
    );
    for (const [name, t] of Object.entries(photoTallies)) say(formatTally(`  ${name}`, t));

    if (process.env.JUDGE_VTEST !== '0') {
      const video = await vtestPath();
      const runs = {
        'multi-scale, standard': await demoConfig({ evidence: { needToKnow: false } }),
        'multi-scale, need-to-know': await demoConfig({ evidence: { needToKnow: true } }),
        'earlier whole-frame, every frame': await demoConfig({
          evidence: { needToKnow: false },
          redaction: { faceSearch: 'whole-frame', fullSearchEveryFrames: 1, lightSearchEveryFrames: 1 },
        }),
      };
      for (const [name, config] of Object.entries(runs)) {
        const t0 = performance.now();
        const { pairs, events } = await vtestEvidence(config, video, 5, { persons, faces });
        const tally = emptyTally();
        for (const pair of pairs) {
          const before = await judge.faces(pair.original.rgb, pair.original.widthPx, pair.original.heightPx);
          tallyLeaks(tally, before, await judge.faces(pair.stored.rgb, pair.stored.widthPx, pair.stored.heightPx));
        }
        say(
          formatTally(`vtest ${name}`, tally) +
            `   (${events.length} events, ${pairs.length} frames, ${((performance.now() - t0) / 1000).toFixed(0)} s)`,
        );
      }
    }
    say(`bench:judge took ${((performance.now() - started) / 1000).toFixed(0)} s`);
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await judge.dispose();
    await persons.dispose();
    await faces.dispose();
  }
}

await main();
