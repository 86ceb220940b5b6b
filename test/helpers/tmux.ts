import { spawnSync } from 'node:child_process';

/** Set (by .ci/run) to turn "tmux is missing" from a visible skip into a failure. */
export const REQUIRE_TMUX_VARIABLE = 'TRAILWATCH_REQUIRE_TMUX';

/** Why tmux cannot run here, or undefined when it can. */
export function tmuxMissing(): string | undefined {
  const probe = spawnSync('tmux', ['-V'], { encoding: 'utf8', timeout: 10_000 });
  if (probe.error) return `tmux cannot be run (${probe.error.message})`;
  if (probe.status !== 0) return `tmux -V exited ${probe.status}`;
  return undefined;
}

/** describe() when tmux is there; a visible skip when not, or a failure with TRAILWATCH_REQUIRE_TMUX=1. */
export function describeWithTmux(name: string, body: () => void): void {
  const missing = tmuxMissing();
  if (missing === undefined) {
    describe(name, body);
  } else if (process.env[REQUIRE_TMUX_VARIABLE] === '1') {
    describe(name, () => {
      test(`tmux is required (${REQUIRE_TMUX_VARIABLE}=1)`, () => {
        throw new Error(`tmux is required but ${missing}`);
      });
    });
  } else {
    process.stderr.write(`SKIPPED "${name}": ${missing}; install tmux (apt-get install tmux)\n`);
    describe.skip(`${name} [skipped: ${missing}]`, body);
  }
}

/** A tmux server of our own (its own socket), with one terminal of a fixed size per command. */
export class TmuxTerminal {
  private readonly socket = `trailwatch-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  private sessions = 0;

  constructor(
    private readonly columns: number,
    private readonly rows: number,
  ) {}

  /**
   * Runs `command` (a shell command line) in a new terminal and waits until it exits; returns the
   * screen and scrollback with wrapped lines joined (`capture-pane -J`), so a line wider than the
   * terminal shows as one long line.
   */
  async run(command: string, timeoutMs = 120_000): Promise<{ screen: string; exitCode: number }> {
    const session = `s${++this.sessions}`;
    const marker = '[trailwatch-test exit ';
    const script = `${command}; printf '\\n${marker}%s]\\n' "$?"; sleep 600`;
    this.tmux([
      'new-session',
      '-d',
      '-s',
      session,
      '-x',
      String(this.columns),
      '-y',
      String(this.rows),
      'sh',
      '-c',
      script,
    ]);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.tmux(['capture-pane', '-p', '-J', '-S', '-', '-t', session]);
      const match = /\[trailwatch-test exit (\d+)\]/.exec(screen);
      if (match) {
        this.tmux(['kill-session', '-t', session]);
        return { screen: screen.slice(0, match.index), exitCode: Number(match[1]) };
      }
      if (Date.now() > deadline) {
        this.tmux(['kill-session', '-t', session]);
        throw new Error(`'${command}' did not finish in ${timeoutMs} ms; screen:\n${screen}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Stops this terminal's tmux server (only ours: it has its own socket). */
  stop(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server'], { encoding: 'utf8' });
  }

  private tmux(args: string[]): string {
    const result = spawnSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`tmux ${args[0]} failed: ${result.stderr}`);
    return result.stdout;
  }
}
