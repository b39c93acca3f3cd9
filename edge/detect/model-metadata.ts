import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { EdgeError, EdgeErrorCode, errorMessage } from '../errors.js';
import type { ManifestFile } from '../models/manifest.js';
import { withoutInitializerInputs } from './onnx-initializers.js';

type Metadata = ort.InferenceSession.ValueMetadata;

function describe(m: Metadata | undefined): string {
  if (!m) return 'nothing';
  return m.isTensor ? `${m.name} ${m.type} [${m.shape.join(',')}]` : m.name;
}

function matches(
  spec: { name: string; type: string; shape: number[] } | undefined,
  actual: Metadata | undefined,
): boolean {
  return (
    !!spec &&
    !!actual &&
    actual.isTensor &&
    spec.name === actual.name &&
    spec.type === actual.type &&
    spec.shape.join(',') === actual.shape.join(',')
  );
}

/**
 * Fails with EDGE_MODEL_METADATA_MISMATCH unless every input and output of the session has
 * the name, type and shape the manifest promises, in order.
 */
export function checkModelMetadata(session: ort.InferenceSession, entry: ManifestFile): void {
  const spec = entry.spec;
  const sides = [
    ['input', spec?.inputs ?? [], session.inputMetadata],
    ['output', spec?.outputs ?? [], session.outputMetadata],
  ] as const;
  for (const [side, expected, actual] of sides) {
    const isSame = expected.length === actual.length && expected.every((e, i) => matches(e, actual[i]));
    if (!isSame) {
      throw new EdgeError(
        EdgeErrorCode.MODEL_METADATA_MISMATCH,
        `${entry.id}: model ${side}s are ${actual.map(describe).join(', ')}; ` +
          `the manifest says ${expected.map((e) => `${e.name} ${e.type} [${e.shape.join(',')}]`).join(', ')}`,
      );
    }
  }
}

/** How every model session runs: `intraOpThreads` threads for one call, calls one at a time. */
export function sessionOptions(intraOpThreads: number): ort.InferenceSession.SessionOptions {
  return { intraOpNumThreads: intraOpThreads, interOpNumThreads: 1, executionMode: 'sequential', logSeverityLevel: 3 };
}

/**
 * Creates an onnxruntime session for a hash-verified model file and checks it against the
 * manifest. Sessions are created once per model and reused for every frame. Weights the file
 * also lists as graph inputs are loaded as constants ({@link withoutInitializerInputs}), so
 * onnxruntime can fold and fuse them.
 */
export async function createCheckedSession(
  modelPath: string,
  entry: ManifestFile,
  intraOpThreads: number,
): Promise<ort.InferenceSession> {
  let session: ort.InferenceSession;
  try {
    const { bytes } = withoutInitializerInputs(await readFile(modelPath));
    session = await ort.InferenceSession.create(bytes, sessionOptions(intraOpThreads));
  } catch (err) {
    throw new EdgeError(
      EdgeErrorCode.DETECTOR_FAILED,
      `cannot load ${entry.id} from ${modelPath}: ${errorMessage(err)}`,
      {
        cause: err,
      },
    );
  }
  try {
    checkModelMetadata(session, entry);
  } catch (err) {
    await session.release();
    throw err;
  }
  return session;
}
