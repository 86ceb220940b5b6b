import { spawnSync } from 'node:child_process';

/** Set (by .ci/run) to turn "cfn-lint is missing" from a visible skip into a failure. */
export const REQUIRE_CFN_LINT_VARIABLE = 'TRAILWATCH_REQUIRE_CFN_LINT';

/** Whether cfn-lint can run here, and why not. */
export type CfnLintAvailability =
  | { readonly available: true; readonly version: string }
  | { readonly available: false; readonly reason: string };

/** One finding of cfn-lint's JSON output. */
export interface CfnLintFinding {
  readonly Filename: string;
  readonly Level: 'Error' | 'Warning' | 'Informational';
  readonly Message: string;
  readonly Rule: { readonly Id: string };
}

let cached: CfnLintAvailability | undefined;

/** Checks once whether `cfn-lint --version` runs. */
export function cfnLintAvailability(): CfnLintAvailability {
  if (cached) return cached;
  const probe = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8', timeout: 60_000 });
  if (probe.error) cached = { available: false, reason: `cfn-lint cannot be run (${probe.error.message})` };
  else if (probe.status !== 0)
    cached = {
      available: false,
      reason: `cfn-lint --version exited with ${probe.status}: ${probe.stderr.trim()}`,
    };
  else cached = { available: true, version: probe.stdout.trim() };
  return cached;
}

/**
 * `describe` for tests that need cfn-lint: runs them when it is installed; otherwise skips them with
 * the reason in the suite name and on stderr, or, with TRAILWATCH_REQUIRE_CFN_LINT=1, fails one test.
 */
export function describeWithCfnLint(name: string, body: () => void): void {
  const availability = cfnLintAvailability();
  if (availability.available) {
    describe(name, body);
  } else if (process.env[REQUIRE_CFN_LINT_VARIABLE] === '1') {
    describe(name, () => {
      test(`cfn-lint is required (${REQUIRE_CFN_LINT_VARIABLE}=1)`, () => {
        throw new Error(`cfn-lint is required but ${availability.reason}`);
      });
    });
  } else {
    process.stderr.write(
      `SKIPPED "${name}": ${availability.reason}; install cfn-lint (pip install cfn-lint)\n`,
    );
    describe.skip(`${name} [skipped: ${availability.reason}]`, body);
  }
}

/**
 * Lints every template in one cfn-lint process (it loads its resource specifications once, which is
 * most of its run time) and returns its findings; throws when cfn-lint itself fails.
 */
export function lintTemplates(
  files: readonly string[],
  ignoreChecks: readonly string[] = [],
): CfnLintFinding[] {
  const args = ['--format', 'json', ...ignoreChecks.flatMap((id) => ['--ignore-checks', id]), '--', ...files];
  const run = spawnSync('cfn-lint', args, {
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.error) throw run.error;
  // Exit status is a bit mask of the levels found (2 error, 4 warning, 8 informational); 1 is a crash.
  if (run.status === null || (run.status & 1) === 1) {
    throw new Error(`cfn-lint failed (exit ${run.status}): ${run.stderr.trim()}`);
  }
  return JSON.parse(run.stdout || '[]') as CfnLintFinding[];
}
