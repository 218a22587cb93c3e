/**
 * @module models/demo/graph-context
 * Collects nodes and constants while a graph is written as ordinary function calls; names
 * values sequentially so the same calls always give the same (deterministic) model bytes.
 */
import { initializer, node, type AttrValue, type NodeSpec, type TensorSpec } from '../../infra/onnx/index.js';

export interface GraphContext {
  readonly nodes: NodeSpec[];
  readonly initializers: TensorSpec[];
  /** Adds one node with a single output and returns that output's name. */
  op(opType: string, inputs: string[], attrs?: Record<string, AttrValue>, output?: string): string;
  /** A float32 constant (scalar when dims is []). */
  floats(dims: number[], values: ArrayLike<number>): string;
  /** An int64 constant, for shapes, axes, pads and slice bounds. */
  ints(values: number[]): string;
}

export function createGraphContext(): GraphContext {
  const nodes: NodeSpec[] = [];
  const initializers: TensorSpec[] = [];
  let counter = 0;
  const constant = (dtype: 'float32' | 'int64', dims: number[], values: ArrayLike<number>): string => {
    const name = `c${initializers.length}`;
    initializers.push(initializer(name, dtype, dims, values));
    return name;
  };
  return {
    nodes,
    initializers,
    op(opType, inputs, attrs = {}, output) {
      const name = output ?? `${opType.toLowerCase()}_${counter++}`;
      nodes.push(node(opType, inputs, [name], attrs));
      return name;
    },
    floats: (dims, values) => constant('float32', dims, values),
    ints: (values) => constant('int64', [values.length], values),
  };
}
