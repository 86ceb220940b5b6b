import * as fs from 'node:fs';
import * as path from 'node:path';
import { TrailwatchError } from '../lambdas/core/errors';

/** The data folder is used by another running `trailwatch local`. */
export class DataFolderBusyError extends TrailwatchError {}

/**
 * Takes the data folder for this process (a `.lock` file holding the PID), so a second
 * `trailwatch local` on the same folder stops with a clear message instead of failing inside
 * dynalite's LevelDB. A lock left by a process that is gone is taken over. Returns the release.
 */
export function lockDataFolder(dataDir: string): () => void {
  const file = path.join(dataDir, '.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(fs.readFileSync(file, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) {
        throw new DataFolderBusyError(
          `the data folder ${dataDir} is in use by another trailwatch local (process ${holder}); stop it or pass --data with another folder`,
        );
      }
      fs.rmSync(file, { force: true });
    }
  }
  throw new DataFolderBusyError(`cannot lock the data folder ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
