// A small builder of ONNX graphs over onnx-proto: initializers, nodes, inputs, outputs.
// onnx-proto (and protobufjs under it) is loaded when a graph is encoded, not when the library is imported.
import type onnxProto from 'onnx-proto';
import { lazyModule } from '../util/lazy-module.js';
import { floatToHalf } from '../util/float16.js';

const onnxProtoModule = lazyModule<typeof onnxProto>('onnx-proto');
const loadOnnx = () => onnxProtoModule().onnx;
export type Dim = number | string;

// TensorProto.DataType values of the ONNX specification
export const FLOAT = 1;
export const FLOAT16 = 10;
export const INT64 = 7;
export const INT8 = 3;
// AttributeProto.AttributeType values
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, INTS: 7 } as const;

type Attr = number | number[] | string | { tensor: onnxProto.onnx.ITensorProto };

export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private counter = 0;

  private fresh(hint: string): string {
    return `${hint}_${this.counter++}`;
  }

  input(name: string, elemType: number, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  output(name: string, elemType: number, dims: Dim[]): void {
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  /** A float weight, stored as float32 or float16 (Uint16Array of half bits). */
  weight(name: string, data: Float32Array | Uint16Array, dims: number[]): string {
    const t: onnxProto.onnx.ITensorProto = { name, dims };
    if (data instanceof Uint16Array) {
      t.dataType = FLOAT16;
      t.rawData = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    } else {
      t.dataType = FLOAT;
      t.rawData = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    }
    this.initializers.push(t);
    return name;
  }

  /** An int8 tensor (quantized weights). */
  int8(name: string, data: Int8Array, dims: number[]): string {
    this.initializers.push({ name, dims, dataType: INT8, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    return name;
  }

  int64s(values: number[], dims: number[] = [values.length], name = this.fresh('const_i64')): string {
    const data = BigInt64Array.from(values.map(BigInt));
    this.initializers.push({ name, dims, dataType: INT64, rawData: new Uint8Array(data.buffer) });
    return name;
  }

  scalar(value: number, half: boolean, name = this.fresh('const')): string {
    return this.weight(name, half ? Uint16Array.of(floatToHalf(value)) : Float32Array.of(value), []);
  }

  op(opType: string, inputs: string[], attrs: Record<string, Attr> = {}, outputCount = 1): string {
    return this.ops(opType, inputs, attrs, outputCount)[0]!;
  }

  /** A node with several outputs (DynamicQuantizeLinear), their names in order. */
  ops(opType: string, inputs: string[], attrs: Record<string, Attr> = {}, outputCount = 1): string[] {
    const outs = Array.from({ length: outputCount }, () => this.fresh(opType.toLowerCase()));
    this.nodes.push({ opType, input: inputs, output: outs, name: outs[0], attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) });
    return outs;
  }

  /** Renames the last node's output (to give a graph output its public name). */
  rename(from: string, to: string): string {
    for (const n of this.nodes) {
      n.output = n.output!.map((o) => (o === from ? to : o));
      n.input = n.input!.map((i) => (i === from ? to : i));
    }
    return to;
  }

  encode(graphName: string, opset: number, producer: string, metadata: Record<string, string> = {}): Uint8Array {
    const onnx = loadOnnx();
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: producer,
      metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
      opsetImport: [{ domain: '', version: opset }],
      graph: { name: graphName, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function valueInfo(name: string, elemType: number, dims: Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

function attribute(name: string, v: Attr): onnxProto.onnx.IAttributeProto {
  const T = ATTR;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: T.INT, i: v } : { name, type: T.FLOAT, f: v };
  return { name, type: T.TENSOR, t: v.tensor };
}
