/**
 * Runs the real `nydusify` command (bin/nydusify.js over the dist/ that the test
 * global setup builds), as a user would.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The repository root, with a trailing slash. */
export const ROOT = new URL('../../', import.meta.url).pathname;
/** The command's entry point. */
export const BIN = join(ROOT, 'bin/nydusify.js');

/** What one run printed and how it ended. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `nydusify ARGS`; resolves (never rejects) with exit code, stdout and stderr. */
export async function nydusify(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run('node', [BIN, ...args], { env, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
