import { UltrafaceOnnxDetector } from './edge/detect/face-detector.js';
import { EvidenceRedactor } from './edge/redact/redactor.js';
import { YunetJudge, sizeOf, samePlace } from './test/harness/judge.js';
import { crowdDevPhotos, loadImage, mosaic, redactAsStored } from './test/harness/judge-evidence.js';
import { manifestFile } from './test/harness/models.js';
const judge = await YunetJudge.create();
const face = await manifestFile('ultraface-rfb-640');
const imgs = [];
for (const path of await crowdDevPhotos()) {
  const full = await loadImage(path);
  const sizes = (await judge.faces(full.rgb, full.widthPx, full.heightPx)).map(sizeOf).sort((a, b) => a - b);
  const median = sizes[Math.floor(sizes.length / 2)]!;
  for (const target of [11, 15, 20]) imgs.push(await loadImage(path, Math.min(1, target / median)));
}
const img = mosaic(imgs, 1280, 960);
const before = await judge.faces(img.rgb, img.widthPx, img.heightPx);
for (const minScore of [0.3]) for (const tileScale of [2]) for (const faceMarginRatio of [0.25]) {
  const faces = await UltrafaceOnnxDetector.create(face.path, face.entry, { minScore, nmsIou: 0.3, intraOpThreads: 1 });
  const red = new EvidenceRedactor({ method: 'pixelate', minBlockPx: 6, personDetectorId: 'y', faceMarginRatio, tileScale }, faces);
  const t0 = performance.now();
  const r = await red.redact(img.rgb, img.widthPx, img.heightPx, []);
  const ms = performance.now() - t0;
  const stored = await redactAsStored(img, undefined, red);
  const after = await judge.faces(stored.rgb, stored.widthPx, stored.heightPx);
  let leaks = 0, missed = 0; const ls: string[] = [];
  for (const b of before) {
    const ultra = r.faceBoxes.some((f) => samePlace(b, { x1: f.x1 * img.widthPx, y1: f.y1 * img.heightPx, x2: f.x2 * img.widthPx, y2: f.y2 * img.heightPx, score: 1 }));
    if (!ultra) missed++;
    if (after.some((a) => samePlace(b, a))) { leaks++; ls.push(`${sizeOf(b).toFixed(1)}/${b.score.toFixed(2)}/${ultra}`); }
  }
  console.log({ faceMarginRatio, tileScale, faces: r.facesFound, before: before.length, missed, leaks, ms: ms.toFixed(0), ls: ls.join(' ') });
  await faces.dispose();
}
