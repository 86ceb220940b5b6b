import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataFolderBusyError } from '../../local/data-lock';
import { startLocalStack } from '../../local/stack';

describe('the embedded stack and its data folder', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trailwatch-stack-'));
  });
  afterEach(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('refuses a second stack on a folder in use, and frees the folder when stopped', async () => {
    // Prepare
    const first = await startLocalStack({ dataDir: tmp });

    // Act
    const second = startLocalStack({ dataDir: tmp });

    // Assess
    await expect(second).rejects.toBeInstanceOf(DataFolderBusyError);
    await expect(second).rejects.toThrow(
      `the data folder ${tmp} is in use by another trailwatch local (process ${process.pid})`,
    );
    await first.stop();
    const third = await startLocalStack({ dataDir: tmp });
    await third.stop();
  });

  it('takes over a lock left by a process that is gone', async () => {
    // A PID far above any real one stands for the crashed process.
    fs.writeFileSync(path.join(tmp, '.lock'), '999999999');

    const stack = await startLocalStack({ dataDir: tmp, persistTables: false });

    expect(fs.readFileSync(path.join(tmp, '.lock'), 'utf8')).toBe(String(process.pid));
    await stack.stop();
    expect(fs.existsSync(path.join(tmp, '.lock'))).toBe(false);
  });
});
