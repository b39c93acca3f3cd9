import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { withoutInitializerInputs } from '../../../edge/detect/onnx-initializers.js';

/** A message of one string field. */
const named = (fieldNo: number, name: string): Uint8Array =>
  new BinaryWriter().tag(fieldNo, WireType.LengthDelimited).string(name).finish();

/** A GraphProto-like message: nodes, initializers (field 5, name in 8), inputs (11, name in 1), outputs (12). */
function graph(weights: readonly string[], inputs: readonly string[]): Uint8Array {
  const w = new BinaryWriter();
  w.tag(1, WireType.LengthDelimited).bytes(named(1, 'conv0')); // a node
  for (const name of weights) w.tag(5, WireType.LengthDelimited).bytes(named(8, name));
  for (const name of inputs) w.tag(11, WireType.LengthDelimited).bytes(named(1, name));
  w.tag(12, WireType.LengthDelimited).bytes(named(1, 'scores'));
  return w.finish();
}

function model(weights: readonly string[], inputs: readonly string[]): Uint8Array {
  return new BinaryWriter()
    .tag(1, WireType.Varint)
    .int64(8) // ir_version
    .tag(7, WireType.LengthDelimited)
    .bytes(graph(weights, inputs))
    .tag(8, WireType.LengthDelimited)
    .bytes(named(2, 'opset'))
    .finish();
}

describe('withoutInitializerInputs', () => {
  const name = fc.stringMatching(/^[a-z][a-z0-9_.]{0,11}$/);

  it('drops exactly the graph inputs that name a weight, and copies every other byte as it was', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(name, { maxLength: 12 }),
        fc.uniqueArray(name, { maxLength: 12 }),
        (weights, others) => {
          const realInputs = others.filter((n) => !weights.includes(n));
          const listed = [...realInputs, ...weights.filter((_, i) => i % 2 === 0)];
          const { bytes, removed } = withoutInitializerInputs(model(weights, listed));
          expect(Buffer.from(bytes).equals(Buffer.from(model(weights, realInputs)))).toBe(true);
          expect(removed).toBe(listed.length - realInputs.length);
        },
      ),
    );
  });

  it('a model that lists no weight as an input comes back as it is', () => {
    const clean = model(['w0', 'w1'], ['input']);
    const { bytes, removed } = withoutInitializerInputs(clean);
    expect(bytes).toBe(clean);
    expect(removed).toBe(0);
  });

  it('bytes that are not a protobuf message are refused', () => {
    expect(() => withoutInitializerInputs(Buffer.from([0x3a, 0xff, 0xff, 0xff, 0x0f, 1, 2]))).toThrow();
  });
});
