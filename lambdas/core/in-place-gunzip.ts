import * as zlib from 'node:zlib';

/**
 * The native handle under a zlib stream, as Node 20 and 22 have it (not a public API): `writeSync` runs one
 * inflate step on the calling thread, from any input range into any output range, and leaves the space
 * left in the output and the input in the stream's write state. `onerror` receives zlib's errors.
 */
interface NativeZlibHandle {
  writeSync(
    flush: number,
    input: Uint8Array,
    inOffset: number,
    inLength: number,
    output: Uint8Array,
    outOffset: number,
    outLength: number,
  ): void;
  onerror: (message: string, errno: number, code?: string) => void;
}

interface ZlibStreamInternals {
  readonly _handle?: Partial<NativeZlibHandle>;
  readonly _writeState?: unknown;
}

/** A zlib error from the in-place engine, shaped like the ones a zlib stream emits (code `Z_...`, errno). */
export class InflateError extends Error {
  constructor(
    message: string,
    readonly errno: number,
    readonly code: string,
  ) {
    super(message);
    this.name = 'InflateError';
  }
}

const EMPTY = new Uint8Array(0);

let handleAvailable: boolean | undefined;

/** zlib's name of a return code (Node passes it too; this serves where it does not). */
function codeOf(errno: number): string {
  const names = [
    'Z_ERRNO',
    'Z_STREAM_ERROR',
    'Z_DATA_ERROR',
    'Z_MEM_ERROR',
    'Z_BUF_ERROR',
    'Z_VERSION_ERROR',
  ];
  const constants = zlib.constants as unknown as Record<string, number>;
  return names.find((name) => constants[name] === errno) ?? 'Z_ERRNO';
}

/**
 * Gunzip (one or more concatenated members, as zlib streams read them) on the calling thread, into one
 * output buffer that every step reuses. Measured on a 400 MB log file against the zlib stream the reader
 * used before: the stream inflates on the thread pool into a fresh buffer per step, and those 400 one-MB
 * buffers kept V8's major GC busy (20-30 mark-compacts, about 0.2 s of CPU on its helper threads) while
 * the thread-pool round trips stalled whenever the scanner held the main thread; inflating here, in
 * between scans, took 0.26 s of CPU for the whole file where the stream's took 0.3 s plus 0.1 s of
 * round trips, and the reader's CPU fell from 0.88 s to 0.5 s. Undefined from `create` where Node's zlib
 * no longer has this shape; the caller then falls back to the stream.
 */
export class InPlaceGunzip {
  private input: Uint8Array = EMPTY;
  private inOffset = 0;
  private inLength = 0;
  /** The current input is used up (zlib left space in the output): the next step needs new input. */
  private drained = true;
  /** The end of the data was fed (an empty input inflated with Z_FINISH). */
  private finishing = false;
  private failed: InflateError | undefined;
  private closed = false;

  private constructor(
    private readonly stream: zlib.Gunzip,
    private readonly handle: NativeZlibHandle,
    /** [space left in the output, input left] after each step, written by the handle. */
    private readonly writeState: Uint32Array,
    private readonly output: Buffer,
  ) {
    handle.onerror = (message, errno, code) => {
      this.failed = new InflateError(message, errno, code ?? codeOf(errno));
    };
  }

  /** Whether this Node's zlib has the handle (the worker thread's engine needs it too). */
  static available(): boolean {
    if (handleAvailable === undefined) {
      const engine = InPlaceGunzip.create(1);
      handleAvailable = engine !== undefined;
      engine?.close();
    }
    return handleAvailable;
  }

  /** An engine with an output buffer of `chunkSize` bytes; undefined when Node's zlib lacks the handle. */
  static create(chunkSize: number): InPlaceGunzip | undefined {
    const stream = zlib.createGunzip();
    const internals = stream as unknown as ZlibStreamInternals;
    const handle = internals._handle;
    const state = internals._writeState;
    // Not `instanceof`: the state array may come from another realm (a VM context, as under Jest).
    const isState = Object.prototype.toString.call(state) === '[object Uint32Array]';
    if (typeof handle?.writeSync !== 'function' || !isState || (state as Uint32Array).length < 2) {
      stream.close();
      return undefined;
    }
    return new InPlaceGunzip(
      stream,
      handle as NativeZlibHandle,
      state as Uint32Array,
      Buffer.allocUnsafe(chunkSize),
    );
  }

  /** Takes the next compressed chunk; call `next(false)` until it returns undefined before feeding more. */
  feed(input: Uint8Array): void {
    this.input = input;
    this.inOffset = 0;
    this.inLength = input.length;
    this.drained = false;
  }

  /**
   * Inflates the next piece of what was fed (with `finish`, of the end of the data: the check that it is
   * complete). Returns a view of the output buffer, valid until the next call, or undefined when the input is
   * used up. Throws InflateError for corrupt or (at `finish`) truncated data.
   */
  next(finish: boolean): Buffer | undefined {
    if (this.failed !== undefined) throw this.failed;
    if (this.closed) throw new Error('the gunzip engine is closed');
    if (finish && !this.finishing) {
      this.finishing = true;
      this.feed(EMPTY);
    }
    if (this.drained) return undefined;
    const out = this.output;
    this.handle.writeSync(
      finish ? zlib.constants.Z_FINISH : zlib.constants.Z_NO_FLUSH,
      this.input,
      this.inOffset,
      this.inLength,
      out,
      0,
      out.length,
    );
    // After an error the handle must not be written to again (it stays mid-write); `failed` guards it.
    if (this.failed !== undefined) throw this.failed;
    const outLeft = this.writeState[0]!;
    const inLeft = this.writeState[1]!;
    this.inOffset += this.inLength - inLeft;
    this.inLength = inLeft;
    // Space left in the output means zlib took all it could of this input (bytes it leaves, such as zero
    // padding after the last member, are skipped, as the stream skips them).
    if (outLeft !== 0) this.drained = true;
    const have = out.length - outLeft;
    // No output means space was left, so the input is used up.
    return have > 0 ? out.subarray(0, have) : undefined;
  }

  /** Frees zlib's state; safe to call more than once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.input = EMPTY;
    this.stream.close();
  }
}
