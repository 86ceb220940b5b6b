import { LogFileError } from './errors';
import {
  RecordSkipper,
  SKIPPED_ES_NOT_STRING,
  SKIPPED_ES_STRING,
  SKIPPER_ROW_FIELDS,
} from './record-skipper';

/** Counters the scanner fills; ReadStats has these fields. */
export interface ScanCounters {
  /** Elements of the top-level `Records` array seen so far. */
  recordsRead: number;
  /** Elements handed out (their eventSource is wanted). */
  recordsMatched: number;
  /** Elements not handed out, by reason: `other-service`, `not-an-object`, `missing-eventSource`. */
  recordsSkipped: Record<string, number>;
}

/** Options of RecordsScanner. */
export interface RecordsScannerOptions {
  /** eventSource values whose records are parsed and handed out. */
  readonly wanted: ReadonlySet<string>;
  /** Filled while scanning. */
  readonly counters: ScanCounters;
  /** Message when the first byte cannot start JSON (the caller knows whether the bytes came out of gzip). */
  readonly notJsonMessage?: string;
  /**
   * Walk whole records with the WebAssembly skipper where it is available (default true); false keeps every
   * byte in the JavaScript walk, which the tests compare it with.
   */
  readonly accelerate?: boolean;
  /**
   * Hand out each wanted record's bytes (a Buffer) instead of parsing them, for a caller that parses them
   * on another thread; it then reports invalid JSON itself, with the counters of `takeRawCounters()`.
   */
  readonly raw?: boolean;
}

/** The file-level error of a wanted record that is not JSON: `recordNumber` counts every record read so far. */
export function invalidRecordError(recordNumber: number, cause: unknown): LogFileError {
  return new LogFileError(`invalid JSON in record ${recordNumber} (${(cause as Error).message})`, { cause });
}

/** Numbers `takeRawCounters()` gives per handed-out record, in this order (see RAW_*). */
export const RAW_COUNTER_FIELDS = 5;
/** Index of `recordsRead` counting this record: the record's number in an invalid-JSON message. */
export const RAW_READ = 0;
/** Index of `recordsMatched` before this record. */
export const RAW_MATCHED = 1;
/** Index of the first of the three skip counts before this record, in the order of RAW_SKIP_REASONS. */
export const RAW_SKIPPED = 2;
/** The reasons of the three skip counts from RAW_SKIPPED on. */
export const RAW_SKIP_REASONS: readonly string[] = ['other-service', 'not-an-object', 'missing-eventSource'];

// Bytes that matter outside strings.
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const LOWER_E = 0x65;
const UPPER_E = 0x45;
const LOWER_T = 0x74;
const LOWER_F = 0x66;
const LOWER_N = 0x6e;

// What the scanner expects next. Plain numbers (not a const enum) keep the module isolatedModules-safe.
const ST_VALUE = 0; // any value (after ':' or ',' in an array, or the document start)
const ST_ARR_FIRST = 1; // a value or ']' (just after '[')
const ST_OBJ_FIRST = 2; // a key or '}' (just after '{')
const ST_KEY = 3; // a key (after ',' in an object)
const ST_COLON = 4;
const ST_AFTER = 5; // ',' or the closing bracket of the current container
const ST_STRING = 6; // inside a string that goes on from the previous chunk
const ST_NUMBER = 7;
const ST_LITERAL = 8; // inside true / false / null
const ST_DONE = 9; // the top-level object is closed: only whitespace may follow
const ST_RECORD = 10; // inside a record that goes on from the previous chunk (scanRecord)

// Bytes that matter inside a record outside its strings (quotes are tested first): one lookup per byte.
const K_OPEN = 1;
const K_CLOSE = 2;
const K_COMMA = 3;
const RECORD_CLASS = new Uint8Array(256);
RECORD_CLASS[LBRACE] = K_OPEN;
RECORD_CLASS[LBRACKET] = K_OPEN;
RECORD_CLASS[RBRACE] = K_CLOSE;
RECORD_CLASS[RBRACKET] = K_CLOSE;
RECORD_CLASS[COMMA] = K_COMMA;
// Bytes that end the fast walk through a string.
const STRING_STOP = new Uint8Array(256);
STRING_STOP[QUOTE] = 1;
STRING_STOP[BACKSLASH] = 1;

const NUMBER_GOES_ON = 0;
const NUMBER_ENDED = 1;
const NUMBER_INVALID = 2;

// Number states (see stepNumber) after which the number may end: a digit was the last byte.
const NUMBER_CAN_END = [0, 1, 1, 0, 1, 0, 0, 1];

const IN_OBJECT = 1;
const IN_ARRAY = 2;

// Strings whose content matters (all others are only skipped).
const CAP_NONE = 0;
const CAP_TOP_KEY = 1; // a key of the top-level object: is it `Records`?
const CAP_RECORD_KEY = 2; // a key of a record: is it `eventSource`?
const CAP_EVENT_SOURCE = 3; // the value of a record's eventSource

// What a record's own top-level eventSource says; the last one wins, as in JSON.parse.
const ES_NONE = 0;
const ES_NOT_STRING = 1;
const ES_UNWANTED = 2;
const ES_WANTED = 3;

const SKIP_OTHER_SERVICE = 0;
const SKIP_NOT_AN_OBJECT = 1;
const SKIP_MISSING_EVENT_SOURCE = 2;
const SKIP_REASONS = RAW_SKIP_REASONS;

const RECORDS_KEY = Buffer.from('Records');
const EVENT_SOURCE_KEY = Buffer.from('eventSource');
const DIGEST_KEYS = new Set(['logFiles', 'digestStartTime', 'digestEndTime', 'previousDigestSignature']);
const LITERALS = [Buffer.from('true'), Buffer.from('false'), Buffer.from('null')];
const BOM = [0xef, 0xbb, 0xbf];

/**
 * Scans the bytes of one CloudTrail log file (`{"Records":[...]}`) chunk by chunk and hands out each element
 * of the top-level `Records` array whose own eventSource is wanted, parsed with JSON.parse of that element
 * alone. The grammar of the top-level object and of the Records array is checked with an explicit stack (no
 * recursion, so any nesting depth is fine); inside a record only its boundaries are found (brackets counted
 * outside strings) and its own keys read, because JSON.parse checks the wanted records and the others are
 * dropped. A record's bytes are copied only when it straddles two chunks; string contents are not decoded
 * except where they decide something (the top-level keys, a record's own keys, its eventSource). Throws
 * LogFileError for a file-level problem.
 */
export class RecordsScanner {
  private readonly wanted: ReadonlySet<string>;
  private readonly counters: ScanCounters;
  private readonly notJsonMessage: string;
  private readonly captureLimit: number;
  private readonly skipper: RecordSkipper | undefined;
  private skipperLoaded = false; // the current chunk is in the skipper's memory

  private base = 0; // absolute offset of the current chunk
  private state = ST_VALUE;
  private depth = 0;
  private stack: Uint8Array = new Uint8Array(64);
  private bomIndex = 0;
  private sawContent = false;

  // Top level.
  private topKeyIsRecords = false;
  private seenRecords = false;
  private inRecords = false;
  private sawDigestKey = false;

  // A string, number or literal that goes on into the next chunk.
  private escapeNext = false;
  private stringIsKey = false;
  private capture = CAP_NONE;
  private readonly captureBuffer: Buffer;
  private captureLength = 0;
  private captureOverflow = false;
  private numberState = 0;
  private literal: Buffer = LITERALS[0]!;
  private literalIndex = 0;
  private topValue = 0; // the first byte of a top-level value that is not an object (to name it)

  // The current record (an object element of Records).
  private inElement = false;
  private elementStart = 0; // absolute
  private elementParts: Buffer[] = [];
  private keyIsEventSource = false;
  private expectKey = false; // the record's next string is one of its own keys
  private recordNesting = 0; // brackets open inside the record (0: at its own level)
  private recordInString = false; // a string of the record goes on into the next chunk
  private eventSource = ES_NONE;

  private out: unknown[] = [];
  private readonly raw: boolean;
  private rawCounters: number[] = [];

  // Counted here and added to `counters` after each chunk: cheaper than a keyed update per record.
  private read = 0;
  private matched = 0;
  private readonly skippedBy = [0, 0, 0]; // indexed by SKIP_*
  private readonly wantedBytes: Buffer[];

  constructor(options: RecordsScannerOptions) {
    this.wanted = options.wanted;
    this.counters = options.counters;
    this.notJsonMessage = options.notJsonMessage ?? 'not JSON';
    let longest = EVENT_SOURCE_KEY.length;
    for (const w of this.wanted) longest = Math.max(longest, Buffer.byteLength(w));
    // An escaped string takes up to 6 bytes per character (\uXXXX); anything longer cannot be of interest.
    this.captureLimit = 6 * longest + 16;
    this.captureBuffer = Buffer.alloc(this.captureLimit);
    this.wantedBytes = [...this.wanted].map((w) => Buffer.from(w, 'utf8'));
    this.skipper = options.accelerate === false ? undefined : RecordSkipper.shared();
    this.raw = options.raw === true;
  }

  /**
   * With `raw`: the counters as they stood at each record handed out since the last call, RAW_COUNTER_FIELDS
   * numbers per record, for the whole run of `counters` (what they would show had that record been the
   * invalid JSON that stops the file).
   */
  takeRawCounters(): number[] {
    const taken = this.rawCounters;
    if (taken.length > 0) this.rawCounters = [];
    return taken;
  }

  /** Scans the next chunk; returns the wanted records that ended in it, parsed, in file order. */
  push(buf: Buffer): unknown[] {
    try {
      return this.scan(buf);
    } finally {
      this.flushCounters();
    }
  }

  private flushCounters(): void {
    const counters = this.counters;
    counters.recordsRead += this.read;
    counters.recordsMatched += this.matched;
    this.read = 0;
    this.matched = 0;
    for (let k = 0; k < SKIP_REASONS.length; k++) {
      const n = this.skippedBy[k]!;
      if (n === 0) continue;
      const reason = SKIP_REASONS[k]!;
      counters.recordsSkipped[reason] = (counters.recordsSkipped[reason] ?? 0) + n;
      this.skippedBy[k] = 0;
    }
  }

  private scan(buf: Buffer): unknown[] {
    const len = buf.length;
    let i = 0;
    this.skipperLoaded = false;
    if (this.bomIndex < BOM.length) i = this.skipBom(buf);
    let state = this.state;
    if (state === ST_RECORD && i < len) {
      const end = this.scanRecord(buf, i);
      if (end < 0) {
        i = len;
      } else {
        this.endElement(buf, end);
        state = ST_AFTER;
        i = end;
      }
    } else if (state === ST_STRING && i < len) {
      const q = this.endOfSplitString(buf, i);
      if (q < 0) {
        i = len;
      } else {
        state = this.stringIsKey ? ST_COLON : ST_AFTER;
        i = q + 1;
      }
    }

    // The grammar loop: the top-level object, the Records array and anything that is not a record (an
    // element of Records that is an object goes to scanRecord). Little of a log file goes through here.
    let depth = this.depth;
    let stack = this.stack;
    while (i < len) {
      const c = buf[i]!;
      switch (state) {
        case ST_AFTER:
          if (depth === 0) {
            // After a top-level value that is not an object: named at the end if only whitespace follows.
            if (!(c === SPACE || c === LF || c === CR || c === TAB))
              throw new LogFileError(this.notJsonMessage);
            i++;
          } else if (c === COMMA) {
            state = stack[depth - 1] === IN_OBJECT ? ST_KEY : ST_VALUE;
            i++;
          } else if (c === RBRACE || c === RBRACKET) {
            if (stack[depth - 1] !== (c === RBRACE ? IN_OBJECT : IN_ARRAY)) this.fail(buf, i);
            depth--;
            i++;
            state = depth > 2 ? ST_AFTER : this.closed(depth);
          } else if (c === SPACE || c === LF || c === CR || c === TAB) {
            i++;
          } else {
            this.fail(buf, i);
          }
          break;

        case ST_OBJ_FIRST:
        case ST_KEY:
          if (c === QUOTE) {
            const start = i + 1;
            const q = stringEnd(buf, start);
            const capture = depth === 1 ? CAP_TOP_KEY : CAP_NONE;
            if (q < 0) {
              this.escapeNext = q === -2;
              this.startSplitString(buf, start, true, capture);
              state = ST_STRING;
              i = len;
            } else {
              if (capture === CAP_TOP_KEY) this.topKey(buf.subarray(start, q), this.base + q);
              state = ST_COLON;
              i = q + 1;
            }
          } else if (c === SPACE || c === LF || c === CR || c === TAB) {
            i++; // (ST_OBJ_FIRST stays: '}' may still come)
          } else if (c === RBRACE && state === ST_OBJ_FIRST) {
            depth--;
            i++;
            state = depth > 2 ? ST_AFTER : this.closed(depth);
          } else {
            this.fail(buf, i);
          }
          break;

        case ST_ARR_FIRST:
          if (c === RBRACKET) {
            depth--;
            i++;
            state = depth > 2 ? ST_AFTER : this.closed(depth);
          } else if (c === SPACE || c === LF || c === CR || c === TAB) {
            i++;
          } else {
            state = ST_VALUE; // look at this byte again as a value
          }
          break;

        case ST_VALUE: {
          if (c === SPACE || c === LF || c === CR || c === TAB) {
            i++;
            break;
          }
          if (depth < 3) {
            if (depth === 2 && c === LBRACE && this.inRecords) {
              // Records: the whole ones that start here go through the skipper, the rest (one split by the
              // chunk's end, or one the skipper leaves to us) through scanRecord, which only needs to find
              // where it ends.
              if (this.skipper !== undefined) {
                const done = this.skipRecords(this.skipper, buf, i);
                if (done > i) {
                  state = ST_AFTER;
                  i = done;
                  break;
                }
              }
              this.startElement(i);
              const end = this.scanRecord(buf, i + 1);
              if (end < 0) {
                state = ST_RECORD;
                i = len;
              } else {
                this.endElement(buf, end);
                state = ST_AFTER;
                i = end;
              }
              break;
            }
            this.valueStarts(c, depth);
          }
          if (c === QUOTE) {
            const start = i + 1;
            const q = stringEnd(buf, start);
            if (q < 0) {
              this.escapeNext = q === -2;
              this.startSplitString(buf, start, false, CAP_NONE);
              state = ST_STRING;
              i = len;
            } else {
              state = ST_AFTER;
              i = q + 1;
            }
          } else if (c === LBRACE || c === LBRACKET) {
            if (depth === 0 && c === LBRACKET) {
              throw new LogFileError('JSON is an array, not an object with a Records array');
            }
            if (depth === stack.length) stack = this.growStack();
            stack[depth++] = c === LBRACE ? IN_OBJECT : IN_ARRAY;
            state = c === LBRACE ? ST_OBJ_FIRST : ST_ARR_FIRST;
            i++;
          } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
            this.numberState = c === MINUS ? 0 : c === ZERO ? 1 : 2;
            state = ST_NUMBER;
            i++;
          } else if (c === LOWER_T || c === LOWER_F || c === LOWER_N) {
            this.literal = LITERALS[c === LOWER_T ? 0 : c === LOWER_F ? 1 : 2]!;
            this.literalIndex = 1;
            state = ST_LITERAL;
            i++;
          } else {
            this.fail(buf, i);
          }
          break;
        }

        case ST_COLON:
          if (c === COLON) state = ST_VALUE;
          else if (!(c === SPACE || c === LF || c === CR || c === TAB)) this.fail(buf, i);
          i++;
          break;

        case ST_LITERAL:
          if (c !== this.literal[this.literalIndex]) this.fail(buf, i);
          i++;
          if (++this.literalIndex === this.literal.length) state = ST_AFTER;
          break;

        case ST_NUMBER: {
          const step = this.stepNumber(c);
          if (step === NUMBER_GOES_ON) i++;
          else if (step === NUMBER_ENDED)
            state = ST_AFTER; // look at this byte again as what follows
          else this.fail(buf, i);
          break;
        }

        case ST_DONE:
          if (!(c === SPACE || c === LF || c === CR || c === TAB)) {
            throw new LogFileError(`unexpected data after the JSON object at byte ${this.base + i}`);
          }
          i++;
          break;

        default:
          // ST_STRING and ST_RECORD never reach the loop: both are finished where they start.
          this.fail(buf, i);
      }
    }
    this.state = state;
    this.depth = depth;

    if (this.inElement) {
      // Keep a copy of the record's bytes so far (the source may reuse its buffers): a later duplicate
      // eventSource may still make it wanted, and a record rarely straddles chunks (one per chunk at most).
      const from = Math.max(0, this.elementStart - this.base);
      if (from < len) this.elementParts.push(Buffer.from(buf.subarray(from)));
    }
    this.base += len;
    const out = this.out;
    if (out.length > 0) this.out = [];
    return out;
  }

  /**
   * Hands the whole records from the '{' at i to the skipper and takes each it found; returns the index just
   * past the last one (i when it found none).
   */
  private skipRecords(skipper: RecordSkipper, buf: Buffer, i: number): number {
    if (!this.skipperLoaded) {
      skipper.load(buf);
      this.skipperLoaded = true;
    }
    const done = skipper.scan(i, buf.length);
    const rows = skipper.table;
    const first = skipper.tableStart;
    const end = first + skipper.count * SKIPPER_ROW_FIELDS;
    for (let r = first; r < end; r += SKIPPER_ROW_FIELDS) {
      const es = rows[r + 2]!;
      const eventSource =
        es === SKIPPED_ES_STRING
          ? this.classifyEventSource(buf, rows[r + 3]!, rows[r + 4]!)
          : es === SKIPPED_ES_NOT_STRING
            ? ES_NOT_STRING
            : ES_NONE;
      this.read++;
      if (eventSource === ES_WANTED) this.keep(buf.subarray(rows[r]!, rows[r + 1]!));
      else this.skippedBy[eventSource === ES_UNWANTED ? SKIP_OTHER_SERVICE : SKIP_MISSING_EVENT_SOURCE]!++;
    }
    return done;
  }

  /**
   * Scans a record (an object element of Records) from byte i, where a previous chunk may have left off.
   * Returns the index just past its closing brace, or -1 when it goes on into the next chunk. Only its own
   * keys are looked at (for eventSource); nested values are skipped by counting brackets outside strings.
   * The grammar is not checked here: a wanted record is checked by JSON.parse, a malformed unwanted one is
   * skipped like any other unwanted record.
   */
  private scanRecord(buf: Buffer, i: number): number {
    const len = buf.length;
    if (this.recordInString) {
      const q = this.endOfSplitString(buf, i);
      if (q < 0) return -1;
      this.recordInString = false;
      i = q + 1;
    }
    let nesting = this.recordNesting;
    while (i < len) {
      const c = buf[i]!;
      if (c === QUOTE) {
        // Quotes are the most frequent byte that matters: tested first, then the string is walked to its end.
        const start = i + 1;
        let p = start;
        // Four bytes per step while none is a quote or a backslash (measured: 10-15% faster than one by one).
        while (p + 3 < len) {
          const stop = STRING_STOP[buf[p]!]! | STRING_STOP[buf[p + 1]!]! | STRING_STOP[buf[p + 2]!]!;
          if ((stop | STRING_STOP[buf[p + 3]!]!) !== 0) break;
          p += 4;
        }
        while (p < len) {
          const b = buf[p]!;
          if (b === QUOTE) break;
          if (b === BACKSLASH) p++;
          p++;
        }
        if (p >= len) {
          this.escapeNext = p > len;
          this.recordInString = true;
          this.recordNesting = nesting;
          let capture = CAP_NONE;
          if (nesting === 0) {
            if (this.expectKey) capture = CAP_RECORD_KEY;
            else if (this.keyIsEventSource) capture = CAP_EVENT_SOURCE;
            this.expectKey = false;
            this.keyIsEventSource = false;
          }
          this.startSplitString(buf, start, false, capture);
          return -1;
        }
        i = p + 1;
        if (nesting === 0) {
          if (this.expectKey) {
            this.expectKey = false;
            this.keyIsEventSource = this.isEventSourceKey(buf, start, p);
          } else if (this.keyIsEventSource) {
            this.keyIsEventSource = false;
            this.eventSource = this.classifyEventSource(buf, start, p);
          }
        }
        continue;
      }
      const kind = RECORD_CLASS[c]!;
      i++;
      if (kind === 0) continue;
      if (kind === K_OPEN) {
        if (nesting === 0 && this.keyIsEventSource) this.eventSourceNotString();
        nesting++;
      } else if (kind === K_CLOSE) {
        if (nesting === 0) {
          if (c !== RBRACE) this.fail(buf, i - 1);
          if (this.keyIsEventSource) this.eventSourceNotString();
          this.recordNesting = 0;
          return i;
        }
        nesting--;
      } else if (nesting === 0) {
        // A comma of the record itself: a key comes next.
        if (this.keyIsEventSource) this.eventSourceNotString();
        this.expectKey = true;
      }
    }
    this.recordNesting = nesting;
    return -1;
  }

  /**
   * A string that a previous chunk left open goes on at byte i: the index of its closing quote (its
   * captured bytes acted on), or -1 when it goes on into the next chunk too.
   */
  private endOfSplitString(buf: Buffer, i: number): number {
    let from = i;
    if (this.escapeNext) {
      // The previous chunk ended on a backslash: this chunk's first byte is escaped.
      this.escapeNext = false;
      from++;
    }
    const q = stringEnd(buf, from);
    if (q < 0) {
      this.escapeNext = q === -2;
      if (this.capture !== CAP_NONE) this.appendCapture(buf, i, buf.length);
      return -1;
    }
    if (this.capture !== CAP_NONE) {
      this.appendCapture(buf, i, q);
      this.endSplitCapture(q);
    }
    return q;
  }

  private eventSourceNotString(): void {
    this.keyIsEventSource = false;
    this.eventSource = ES_NOT_STRING;
  }

  /** Checks that the document is complete; throws LogFileError when it was cut short. */
  finish(): void {
    if (!this.sawContent) throw new LogFileError('no JSON content (empty or only whitespace)');
    if (this.topValue !== 0) {
      const complete =
        this.state === ST_AFTER || (this.state === ST_NUMBER && NUMBER_CAN_END[this.numberState] === 1);
      throw new LogFileError(
        complete
          ? `JSON is ${describeValue(this.topValue)}, not an object with a Records array`
          : this.notJsonMessage,
      );
    }
    if (this.state !== ST_DONE) {
      const where = this.inRecords ? 'inside the Records array' : 'inside the top-level object';
      throw new LogFileError(`JSON is cut short: the data ends ${where} after ${this.base} bytes`);
    }
  }

  /** Skips a UTF-8 byte-order mark at the start of the data, even when it is split across chunks. */
  private skipBom(buf: Buffer): number {
    let i = 0;
    while (i < buf.length && this.bomIndex < BOM.length) {
      if (buf[i] === BOM[this.bomIndex]) {
        this.bomIndex++;
        i++;
      } else if (this.bomIndex === 0) {
        this.bomIndex = BOM.length; // no BOM
      } else {
        throw new LogFileError(this.notJsonMessage);
      }
    }
    return i;
  }

  /** A string starts at `start` and goes on into the next chunk: remember what to do with it. */
  private startSplitString(buf: Buffer, start: number, isKey: boolean, capture: number): void {
    this.stringIsKey = isKey;
    this.capture = capture;
    this.captureLength = 0;
    this.captureOverflow = false;
    if (capture !== CAP_NONE) this.appendCapture(buf, Math.min(start, buf.length), buf.length);
  }

  private appendCapture(buf: Buffer, from: number, to: number): void {
    if (this.captureOverflow) return;
    const n = to - from;
    if (this.captureLength + n > this.captureLimit) {
      this.captureOverflow = true;
      return;
    }
    buf.copy(this.captureBuffer, this.captureLength, from, to);
    this.captureLength += n;
  }

  /** A string that came in pieces ended (at index q of the current chunk): act on its captured bytes. */
  private endSplitCapture(q: number): void {
    const raw = this.captureOverflow ? undefined : this.captureBuffer.subarray(0, this.captureLength);
    const at = this.base + q;
    if (this.capture === CAP_TOP_KEY) {
      if (raw) this.topKey(raw, at);
      else this.topKeyIsRecords = false;
    } else if (this.capture === CAP_RECORD_KEY) {
      this.keyIsEventSource = raw !== undefined && rawEquals(raw, EVENT_SOURCE_KEY, at);
    } else if (this.capture === CAP_EVENT_SOURCE) {
      this.eventSource = raw !== undefined && this.wanted.has(decodeRaw(raw, at)) ? ES_WANTED : ES_UNWANTED;
    }
    this.capture = CAP_NONE;
  }

  /** A key of the top-level object: `Records`, a digest file's key, or something else. */
  private topKey(raw: Buffer, at: number): void {
    this.topKeyIsRecords = rawEquals(raw, RECORDS_KEY, at);
    if (!this.topKeyIsRecords && raw.length < 64 && DIGEST_KEYS.has(decodeRaw(raw, at)))
      this.sawDigestKey = true;
  }

  /** Is the record key in buf[start, end) `eventSource` (in any spelling)? */
  private isEventSourceKey(buf: Buffer, start: number, end: number): boolean {
    const n = end - start;
    if (n === EVENT_SOURCE_KEY.length) {
      for (let k = 0; k < n; k++) if (buf[start + k] !== EVENT_SOURCE_KEY[k]) return false;
      return true;
    }
    // Only an escaped spelling can be longer: it starts with `e` or an escape and has a backslash.
    if (n < EVENT_SOURCE_KEY.length || n > this.captureLimit) return false;
    const first = buf[start];
    if ((first !== EVENT_SOURCE_KEY[0] && first !== BACKSLASH) || !hasBackslash(buf, start, end))
      return false;
    return rawEquals(buf.subarray(start, end), EVENT_SOURCE_KEY, this.base + end);
  }

  /** What the record's eventSource value in buf[start, end) says. */
  private classifyEventSource(buf: Buffer, start: number, end: number): number {
    const n = end - start;
    if (n > this.captureLimit) return ES_UNWANTED;
    if (hasBackslash(buf, start, end)) {
      return this.wanted.has(decodeRaw(buf.subarray(start, end), this.base + end)) ? ES_WANTED : ES_UNWANTED;
    }
    // Byte comparison: no string is made for the many records of other services.
    next: for (const w of this.wantedBytes) {
      if (w.length !== n) continue;
      for (let k = 0; k < n; k++) if (buf[start + k] !== w[k]) continue next;
      return ES_WANTED;
    }
    return ES_UNWANTED;
  }

  /** A value that is not a record starts at depth < 3 (the top level, the top-level object, Records). */
  private valueStarts(c: number, depth: number): void {
    if (depth === 0) {
      this.sawContent = true;
      if (c === LBRACE || c === LBRACKET) return;
      const isValue =
        c === QUOTE ||
        c === MINUS ||
        (c >= ZERO && c <= NINE) ||
        c === LOWER_T ||
        c === LOWER_F ||
        c === LOWER_N;
      if (!isValue) throw new LogFileError(this.notJsonMessage);
      // Named only once it has been read whole: text that merely starts like JSON (`not json`) is not JSON.
      this.topValue = c;
    } else if (depth === 1) {
      if (this.topKeyIsRecords) {
        if (c !== LBRACKET) throw new LogFileError(`Records is ${describeValue(c)}, not an array`);
        if (this.seenRecords) throw new LogFileError('the top-level object has two Records keys');
        this.seenRecords = true;
        this.inRecords = true;
      }
    } else if (this.inRecords) {
      this.read++;
      this.skippedBy[SKIP_NOT_AN_OBJECT]!++;
    }
  }

  /** A record starts at byte i of the current chunk. */
  private startElement(i: number): void {
    this.inElement = true;
    this.elementStart = this.base + i;
    if (this.elementParts.length > 0) this.elementParts = [];
    this.eventSource = ES_NONE;
    this.keyIsEventSource = false;
    this.expectKey = true;
    this.recordNesting = 0;
    this.recordInString = false;
  }

  private growStack(): Uint8Array {
    const bigger = new Uint8Array(this.stack.length * 2);
    bigger.set(this.stack);
    this.stack = bigger;
    return bigger;
  }

  /** A container closed, leaving `depth` <= 2 open; returns the next state. */
  private closed(depth: number): number {
    if (depth === 2) return ST_AFTER;
    if (depth === 1) {
      this.inRecords = false;
      return ST_AFTER;
    }
    if (!this.seenRecords) {
      throw new LogFileError(
        this.sawDigestKey
          ? 'this is a CloudTrail digest file, not a log file (no Records array)'
          : 'the JSON object has no Records array',
      );
    }
    return ST_DONE;
  }

  /** The current record ends just before `end` (an index in buf): classify it, parse it if wanted. */
  private endElement(buf: Buffer, end: number): void {
    this.inElement = false;
    this.read++;
    if (this.eventSource === ES_WANTED) {
      const start = this.elementStart - this.base;
      this.keep(
        this.elementParts.length === 0
          ? buf.subarray(start, end)
          : Buffer.concat([...this.elementParts, buf.subarray(0, end)]),
      );
    } else {
      this.skippedBy[this.eventSource === ES_UNWANTED ? SKIP_OTHER_SERVICE : SKIP_MISSING_EVENT_SOURCE]!++;
    }
    if (this.elementParts.length > 0) this.elementParts = [];
  }

  /** A wanted record's bytes (the read counter already counts it): parsed and handed out. */
  private keep(bytes: Buffer): void {
    if (this.raw) {
      const c = this.counters;
      const skipped = c.recordsSkipped;
      const by = this.skippedBy;
      this.rawCounters.push(
        c.recordsRead + this.read,
        c.recordsMatched + this.matched,
        (skipped[SKIP_REASONS[0]!] ?? 0) + by[0]!,
        (skipped[SKIP_REASONS[1]!] ?? 0) + by[1]!,
        (skipped[SKIP_REASONS[2]!] ?? 0) + by[2]!,
      );
      this.matched++;
      this.out.push(bytes);
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8'));
    } catch (err) {
      throw invalidRecordError(this.counters.recordsRead + this.read, err);
    }
    this.matched++;
    this.out.push(value);
  }

  /** One byte of a number: does it go on, did it end before this byte, or is the byte invalid? */
  private stepNumber(c: number): number {
    const digit = c >= ZERO && c <= NINE;
    switch (this.numberState) {
      case 0: // after '-'
        if (!digit) return NUMBER_INVALID;
        this.numberState = c === ZERO ? 1 : 2;
        return NUMBER_GOES_ON;
      case 1: // a leading 0
        if (digit) return NUMBER_INVALID;
        if (c === DOT) this.numberState = 3;
        else if (c === LOWER_E || c === UPPER_E) this.numberState = 5;
        else return NUMBER_ENDED;
        return NUMBER_GOES_ON;
      case 2: // integer digits
      case 4: // fraction digits
        if (digit) return NUMBER_GOES_ON;
        if (c === DOT && this.numberState === 2) this.numberState = 3;
        else if (c === LOWER_E || c === UPPER_E) this.numberState = 5;
        else return NUMBER_ENDED;
        return NUMBER_GOES_ON;
      case 3: // after '.'
        if (!digit) return NUMBER_INVALID;
        this.numberState = 4;
        return NUMBER_GOES_ON;
      case 5: // after 'e'
        if (c === PLUS || c === MINUS) this.numberState = 6;
        else if (digit) this.numberState = 7;
        else return NUMBER_INVALID;
        return NUMBER_GOES_ON;
      case 6: // after the exponent's sign
        if (!digit) return NUMBER_INVALID;
        this.numberState = 7;
        return NUMBER_GOES_ON;
      default: // exponent digits
        return digit ? NUMBER_GOES_ON : NUMBER_ENDED;
    }
  }

  private fail(buf: Buffer, i: number): never {
    if (this.topValue !== 0) throw new LogFileError(this.notJsonMessage);
    throw new LogFileError(`invalid JSON at byte ${this.base + i}: unexpected ${describeByte(buf[i]!)}`);
  }
}

/**
 * Index of the quote that ends the string whose content starts at `from`; -1 when the chunk ends inside
 * it, -2 when it ends right after a backslash (the next chunk's first byte is escaped). Walks short strings
 * byte by byte (cheaper than a native call for CloudTrail's short strings), long ones quote to quote.
 */
function stringEnd(buf: Buffer, from: number): number {
  const len = buf.length;
  let p = from;
  const stop = p + 32 < len ? p + 32 : len;
  while (p < stop) {
    const b = buf[p]!;
    if (b === QUOTE) return p;
    p += b === BACKSLASH ? 2 : 1;
  }
  if (p >= len) return p > len ? -2 : -1;
  for (;;) {
    const q = buf.indexOf(QUOTE, p);
    let run = 0;
    if (q < 0) {
      for (let k = len - 1; k >= p && buf[k] === BACKSLASH; k--) run++;
      return (run & 1) === 1 ? -2 : -1;
    }
    for (let k = q - 1; k >= p && buf[k] === BACKSLASH; k--) run++;
    if ((run & 1) === 0) return q;
    p = q + 1;
  }
}

/** True when buf[start, end) holds a backslash (the string has escapes). */
function hasBackslash(buf: Buffer, start: number, end: number): boolean {
  for (let k = start; k < end; k++) if (buf[k] === BACKSLASH) return true;
  return false;
}

/** True when a JSON string's raw bytes (between its quotes) mean `expected`, escapes included. */
function rawEquals(raw: Buffer, expected: Buffer, at: number): boolean {
  if (raw.length === expected.length) return raw.equals(expected);
  // An escaped spelling (`\u0052ecords`) is longer than the plain one.
  return (
    raw.length > expected.length && raw.includes(BACKSLASH) && decodeRaw(raw, at) === expected.toString()
  );
}

/** Decodes a JSON string's raw bytes (between its quotes). */
function decodeRaw(raw: Buffer, at: number): string {
  const text = raw.toString('utf8');
  if (!text.includes('\\')) return text;
  try {
    return JSON.parse(`"${text}"`) as string;
  } catch (err) {
    throw new LogFileError(`invalid JSON: bad string before byte ${at}`, { cause: err });
  }
}

function describeValue(c: number): string {
  if (c === LBRACKET) return 'an array';
  if (c === LBRACE) return 'an object';
  if (c === QUOTE) return 'a string';
  if (c === LOWER_T || c === LOWER_F) return 'a boolean';
  if (c === LOWER_N) return 'null';
  return 'a number';
}

function describeByte(c: number): string {
  return c >= 0x21 && c <= 0x7e ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16).padStart(2, '0')}`;
}
