import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

/** ONNX's field numbers (onnx.proto): ModelProto.graph, GraphProto.initializer and .input, and the names. */
const MODEL_GRAPH = 7;
const GRAPH_INITIALIZER = 5;
const GRAPH_INPUT = 11;
const TENSOR_NAME = 8;
const VALUE_INFO_NAME = 1;

interface Field {
  readonly fieldNo: number;
  /** The whole field, tag included, as it was encoded. */
  readonly encoded: Uint8Array;
  /** A length-delimited field's payload. */
  readonly payload?: Uint8Array;
}

function fieldsOf(message: Uint8Array): Field[] {
  const reader = new BinaryReader(message);
  const fields: Field[] = [];
  while (reader.pos < reader.len) {
    const start = reader.pos;
    const [fieldNo, wireType] = reader.tag();
    const payload = wireType === WireType.LengthDelimited ? reader.bytes() : undefined;
    if (payload === undefined) reader.skip(wireType, fieldNo);
    fields.push({ fieldNo, encoded: message.subarray(start, reader.pos), ...(payload ? { payload } : {}) });
  }
  return fields;
}

const utf8 = new TextDecoder();

function nameIn(message: Uint8Array, fieldNo: number): string | undefined {
  const field = fieldsOf(message).find((f) => f.fieldNo === fieldNo && f.payload !== undefined);
  return field ? utf8.decode(field.payload) : undefined;
}

const concat = (parts: readonly Uint8Array[]): Uint8Array => Buffer.concat(parts);

/**
 * The same ONNX model without the graph inputs that only name its initializers (weights).
 * Older exporters list every weight as a graph input too; onnxruntime then treats the weights
 * as values a caller may override and folds no constants and fuses no layers (UltraFace ran
 * 2.6x slower so). Nothing else changes: the weights, the nodes and every other byte are
 * copied as they were, so the model computes the same outputs. Pure.
 */
export function withoutInitializerInputs(model: Uint8Array): { bytes: Uint8Array; removed: number } {
  let removed = 0;
  const parts = fieldsOf(model).map((field) => {
    if (field.fieldNo !== MODEL_GRAPH || field.payload === undefined) return field.encoded;
    const graph = fieldsOf(field.payload);
    const weights = new Set(
      graph.flatMap((g) => (g.fieldNo === GRAPH_INITIALIZER && g.payload ? [nameIn(g.payload, TENSOR_NAME)] : [])),
    );
    const kept = graph.filter((g) => {
      const name = g.fieldNo === GRAPH_INPUT && g.payload ? nameIn(g.payload, VALUE_INFO_NAME) : undefined;
      const isWeight = name !== undefined && weights.has(name);
      if (isWeight) removed += 1;
      return !isWeight;
    });
    if (kept.length === graph.length) return field.encoded;
    return new BinaryWriter()
      .tag(MODEL_GRAPH, WireType.LengthDelimited)
      .bytes(concat(kept.map((g) => g.encoded)))
      .finish();
  });
  return { bytes: removed === 0 ? model : concat(parts), removed };
}
