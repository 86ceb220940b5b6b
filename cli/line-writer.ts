// `trailwatch parse`'s output: JSON lines written to stdout in blocks.

/**
 * Lines are gathered into blocks of about this many characters and written with one call per block:
 * one write per event cost a sixth of parse's time on a file where half of the calls are watched.
 */
const BLOCK_CHARS = 64 * 1024;

/**
 * Writes lines to stdout in blocks, waiting when it is full; stops once stdout is closed or broken
 * (e.g. `| head`).
 */
export class LineWriter {
  /** Why stdout stopped taking lines, if it did. */
  failure: NodeJS.ErrnoException | undefined;
  private pending = '';
  private readonly onError = (err: NodeJS.ErrnoException): void => {
    this.failure ??= err;
  };

  constructor(private readonly out: NodeJS.WritableStream) {
    out.on('error', this.onError);
  }

  /** A reader that went away (EPIPE) is not a failure of ours; any other stdout error is. */
  get brokenByUs(): boolean {
    return this.failure !== undefined && this.failure.code !== 'EPIPE';
  }

  /** Adds one line (ending in a newline); true when a block is full and flush() is due. */
  add(line: string): boolean {
    this.pending += line;
    return this.pending.length >= BLOCK_CHARS;
  }

  /** Writes the gathered lines; false when stdout no longer takes lines. */
  async flush(): Promise<boolean> {
    const block = this.pending;
    this.pending = '';
    return this.send(block);
  }

  /**
   * Writes the gathered lines, then a block of whole lines; false when stdout no longer takes lines.
   * `written` is called once stdout is done with the block's memory (it may then be reused).
   */
  async write(block: string | Uint8Array, written?: () => void): Promise<boolean> {
    if (this.pending !== '' && !(await this.flush())) return false;
    return this.send(block, written);
  }

  /** Stops listening to stdout. */
  release(): void {
    this.out.off('error', this.onError);
  }

  private async send(block: string | Uint8Array, written?: () => void): Promise<boolean> {
    if (this.failure) return false;
    if (block.length === 0) return true;
    if (written ? this.out.write(block, () => written()) : this.out.write(block)) return true;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.out.off('drain', done);
        this.out.off('close', done);
        this.out.off('error', done);
        resolve();
      };
      this.out.on('drain', done);
      this.out.on('close', done);
      this.out.on('error', done);
    });
    return this.failure === undefined;
  }
}
