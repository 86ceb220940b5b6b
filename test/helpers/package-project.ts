import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The repository root. */
export const REPO = path.resolve(__dirname, '..', '..');

/** What a child process printed. */
export interface Output {
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command without blocking this process (servers the test runs in-process keep answering) and
 * fails with its output when it exits non-zero.
 */
export async function exec(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<Output> {
  try {
    const { stdout, stderr } = await run(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      encoding: 'utf8',
      maxBuffer: 16 << 20,
      timeout: options.timeoutMs ?? 120_000,
    });
    return { stdout, stderr };
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string; code?: unknown };
    throw new Error(
      `${command} ${args.join(' ')} (in ${options.cwd}) failed (${String(e.code)}):\n${e.stdout ?? ''}\n${e.stderr ?? ''}`,
      { cause: err },
    );
  }
}

/** The environment of npm commands in tests: no progress bars, audit or funding notes. */
export function npmEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_progress: 'false',
    npm_config_update_notifier: 'false',
  };
}

/** `npm pack` of the package in `dir` into `destination`; returns the tarball's path. */
export async function npmPack(dir: string, destination: string, extraArgs: string[] = []): Promise<string> {
  const { stdout } = await exec('npm', ['pack', '--json', '--pack-destination', destination, ...extraArgs], {
    cwd: dir,
    env: npmEnv(),
    timeoutMs: 300_000,
  });
  // Lifecycle scripts (prepack's build) may print before the JSON.
  const json = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string }[];
  const file = json[0]?.filename;
  if (!file) throw new Error(`npm pack printed no file name: ${stdout}`);
  return path.join(destination, file);
}

/** The paths inside a tarball (without the leading `package/`). */
export async function tarballFiles(tarball: string): Promise<string[]> {
  const { stdout } = await exec('tar', ['-tzf', tarball], { cwd: path.dirname(tarball) });
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((f) => f.replace(/^package\//, ''));
}

/** Writes a fresh project (files by relative path) in a new temporary folder; returns the folder. */
export function writeProject(parent: string, name: string, files: Record<string, string>): string {
  const dir = path.join(parent, name);
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

/**
 * `npm install` of the given specs (tarballs, name@range) into a project, from the local npm cache
 * where it has them (the registry is asked only for what it lacks).
 */
export async function npmInstall(dir: string, specs: string[]): Promise<void> {
  await exec('npm', ['install', '--prefer-offline', '--ignore-scripts', ...specs], {
    cwd: dir,
    env: npmEnv(),
    timeoutMs: 300_000,
  });
}

/** Bytes of the files under `dir` (symbolic links not followed). */
export function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += folderBytes(full);
    else if (entry.isFile()) total += fs.statSync(full).size;
  }
  return total;
}

/** Names of the packages installed in a project's node_modules (scoped ones as `@scope/name`). */
export function installedPackages(dir: string): string[] {
  const modules = path.join(dir, 'node_modules');
  const names: string[] = [];
  for (const entry of fs.readdirSync(modules)) {
    if (entry.startsWith('.')) continue;
    if (entry.startsWith('@')) {
      for (const scoped of fs.readdirSync(path.join(modules, entry))) names.push(`${entry}/${scoped}`);
    } else {
      names.push(entry);
    }
  }
  return names.sort();
}

/** A new temporary folder for one test file's projects. */
export function tempFolder(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The environment a consumer's program runs in: this one without the SDK's Node-version opt-out. */
export function consumerEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
  return env;
}
