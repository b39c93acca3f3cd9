import { UltrafaceOnnxDetector } from './edge/detect/face-detector.js';
import { EvidenceRedactor } from './edge/redact/redactor.js';
import { YunetJudge, sizeOf, samePlace } from './test/harness/judge.js';
import { crowdDevPhotos, loadImage, redactAsStored } from './test/harness/judge-evidence.js';
import { manifestFile } from './test/harness/models.js';
const judge = await YunetJudge.create();
const face = await manifestFile('ultraface-rfb-640');
const faces = await UltrafaceOnnxDetector.create(face.path, face.entry, { minScore: 0.3, nmsIou: 0.3, intraOpThreads: 1 });
const method = (process.env.M ?? 'pixelate') as 'pixelate' | 'solid';
const red = new EvidenceRedactor({ method, minBlockPx: 6, personDetectorId: 'y', faceMarginRatio: 0.25 }, faces);
let found = 0, missed = 0, leakedFound = 0;
for (const path of await crowdDevPhotos()) {
  const full = await loadImage(path);
  const sizes = (await judge.faces(full.rgb, full.widthPx, full.heightPx)).map(sizeOf).sort((a, b) => a - b);
  const median = sizes[Math.floor(sizes.length / 2)]!;
  for (const target of [11, 15, 20]) {
    const img = await loadImage(path, Math.min(1, target / median));
    const before = await judge.faces(img.rgb, img.widthPx, img.heightPx);
    const r = await red.redact(img.rgb, img.widthPx, img.heightPx, []);
    const stored = await redactAsStored(img, undefined, red);
    const after = await judge.faces(stored.rgb, stored.widthPx, stored.heightPx);
    for (const b of before) {
      const ultra = r.faceBoxes.some((f) => samePlace(b, { x1: f.x1 * img.widthPx, y1: f.y1 * img.heightPx, x2: f.x2 * img.widthPx, y2: f.y2 * img.heightPx, score: 1 }));
      if (ultra) found++; else missed++;
      if (after.some((a) => samePlace(b, a))) { if (ultra) leakedFound++; console.log(path.split('/').at(-1), target, img.widthPx, img.heightPx, 'leak size', sizeOf(b).toFixed(1), 'score', b.score.toFixed(2), 'ultraface found it:', ultra); }
    }
  }
}
console.log({ found, missed, leakedFound });
