import * as fs from 'node:fs';
import * as path from 'node:path';

/** A notification recorded in the journal and not yet handled. */
export interface JournalEntry {
  /** The entry's file name: sorts in arrival order. */
  readonly id: string;
  readonly event: unknown;
}

const SUFFIX = '.json';
const TEMP = '.tmp';
const STALE_TEMP_MS = 60_000;

/**
 * The S3 notifications of `trailwatch local`, kept in a folder of its data directory until they are
 * handled, so a crash (kill -9, power loss) loses none: the restart handles what is left. Each
 * notification is one file, written and synced before s3rver answers the upload, then renamed into
 * place; a handled one is deleted. A notification handled just before a crash can come back once:
 * handling is idempotent (the table write) and exactly-once (alerts), so that only repeats work.
 */
export class NotificationJournal {
  private counter = 0;

  constructor(readonly directory: string) {
    fs.mkdirSync(directory, { recursive: true });
  }

  /** Records one notification durably and returns its id. Synchronous: the caller answers the upload after it. */
  append(event: unknown): string {
    // Time first, so names sort in arrival order across restarts; pid and a counter keep them unique.
    const id = `${String(Date.now()).padStart(15, '0')}-${process.pid}-${String(this.counter++).padStart(9, '0')}${SUFFIX}`;
    const file = path.join(this.directory, id);
    const temp = `${file}${TEMP}`;
    const fd = fs.openSync(temp, 'w');
    try {
      fs.writeSync(fd, JSON.stringify(event));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, file);
    return id;
  }

  /**
   * The notifications not yet handled, oldest first. A half-written temporary file older than a
   * minute (a crash while appending, before the upload was answered) is removed; an unreadable entry is returned as
   * `unreadable` so the caller can say so, and left in place for a person to look at.
   */
  pending(): { entries: JournalEntry[]; unreadable: string[] } {
    const entries: JournalEntry[] = [];
    const unreadable: string[] = [];
    for (const name of fs.readdirSync(this.directory).sort()) {
      const file = path.join(this.directory, name);
      if (name.endsWith(TEMP)) {
        // Being written right now by the S3 server, or left by a crash mid-write (its upload was
        // never answered): only an old one is garbage.
        if (ageMs(file) > STALE_TEMP_MS) fs.rmSync(file, { force: true });
        continue;
      }
      if (!name.endsWith(SUFFIX)) continue;
      try {
        entries.push({ id: name, event: JSON.parse(fs.readFileSync(file, 'utf8')) as unknown });
      } catch {
        unreadable.push(file);
      }
    }
    return { entries, unreadable };
  }

  /** Forgets a handled notification. */
  done(id: string): void {
    // Only names this journal issued: an id is never a path.
    if (path.basename(id) !== id) return;
    fs.rmSync(path.join(this.directory, id), { force: true });
  }
}

function ageMs(file: string): number {
  try {
    return Date.now() - fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}
