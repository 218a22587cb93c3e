// The few standard (non-Node) globals core/ may use, declared for the purity check in
// core/tsconfig.json, which deliberately loads no @types/node. Keep this list short: every
// entry is a platform API that exists in browsers, workers and Node alike.

interface AbortSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

declare namespace WebAssembly {
  interface Memory {
    readonly buffer: ArrayBuffer;
    grow(delta: number): number;
  }
  interface Instance {
    readonly exports: Record<string, unknown>;
  }
  interface Module {}
  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
    shared?: boolean;
  }
  const Memory: { new (descriptor: MemoryDescriptor): Memory };
  const Module: { new (bytes: Uint8Array): Module };
  const Instance: { new (module: Module, imports?: Record<string, Record<string, unknown>>): Instance };
  function validate(bytes: Uint8Array): boolean;
}
