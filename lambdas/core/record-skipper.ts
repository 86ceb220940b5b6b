import { RECORD_SKIPPER_WASM } from './record-skipper-wasm.generated';

/** What the skipper says about a record's own eventSource (the third field of a row). */
export const SKIPPED_ES_NONE = 0;
/** The record's last eventSource key has a value that is not a string. */
export const SKIPPED_ES_NOT_STRING = 1;
/** The record's last eventSource key has a string value: its content is [from, to) of the chunk. */
export const SKIPPED_ES_STRING = 2;

/** Fields per row of the skipper's table: start, end, eventSource kind, its content's from and to. */
export const SKIPPER_ROW_FIELDS = 5;

/** Rows per call: a call over a chunk of small records returns after this many, the caller calls again. */
const MAX_ROWS = 4096;
const PAGE = 65536;
// The SIMD block step reads 64 bytes ahead of a position it checked; the key check reads 12.
const PADDING = 64;

// The part of the WebAssembly API used here (the project's lib settings carry no WebAssembly types).
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmGlobal {
  value: number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
}

interface SkipperExports {
  readonly memory: WasmMemory;
  readonly count: WasmGlobal;
  readonly out: WasmGlobal;
  readonly max: WasmGlobal;
  scan(pos: number, len: number): number;
}

/**
 * The WebAssembly record skipper (record-skipper.wat): walks the whole records of a chunk 64 bytes per step
 * and says where each ends and where its own eventSource value is. One instance per process, used
 * synchronously: a chunk is loaded and scanned within one call of the scanner.
 */
export class RecordSkipper {
  private bytes: Uint8Array;
  private rows: Int32Array;
  private outAt = 0;

  private constructor(private readonly wasm: SkipperExports) {
    this.bytes = new Uint8Array(wasm.memory.buffer);
    this.rows = new Int32Array(wasm.memory.buffer);
    wasm.max.value = MAX_ROWS;
  }

  /** The process's skipper; undefined where WebAssembly SIMD is not available (the scanner then walks in JS). */
  static shared(): RecordSkipper | undefined {
    if (shared === null) shared = RecordSkipper.create();
    return shared;
  }

  private static create(): RecordSkipper | undefined {
    const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (wasm === undefined) return undefined;
    try {
      // Compiling a small module synchronously takes well under a millisecond; it happens on first use.
      const module = new wasm.Module(Buffer.from(RECORD_SKIPPER_WASM, 'base64'));
      const instance = new wasm.Instance(module, {});
      return new RecordSkipper(instance.exports as unknown as SkipperExports);
    } catch {
      return undefined;
    }
  }

  /** Copies a chunk into the module's memory (growing it when the chunk is larger than any before). */
  load(chunk: Uint8Array): void {
    const outAt = (chunk.length + PADDING + 7) & ~7;
    const needed = outAt + MAX_ROWS * SKIPPER_ROW_FIELDS * 4;
    const memory = this.wasm.memory;
    if (needed > memory.buffer.byteLength) {
      memory.grow(Math.ceil((needed - memory.buffer.byteLength) / PAGE));
      this.bytes = new Uint8Array(memory.buffer);
      this.rows = new Int32Array(memory.buffer);
    }
    this.bytes.set(chunk, 0);
    // Whatever lies in the padding (an earlier chunk's bytes) is never taken for data: the skipper acts only
    // on positions it checked against the chunk's length.
    this.outAt = outAt;
    this.wasm.out.value = outAt;
  }

  /**
   * Walks the whole records from the '{' at `pos` of the loaded chunk of `len` bytes; returns the index just
   * past the last one (pos when there is none). `row(k)` gives each.
   */
  scan(pos: number, len: number): number {
    return this.wasm.scan(pos, len);
  }

  /** Records the last scan found. */
  get count(): number {
    return this.wasm.count.value;
  }

  /** The table of the last scan: SKIPPER_ROW_FIELDS int32 per record, from `tableStart`. */
  get table(): Int32Array {
    return this.rows;
  }

  /** Index in `table` of the first row. */
  get tableStart(): number {
    return this.outAt >> 2;
  }
}

let shared: RecordSkipper | undefined | null = null;
