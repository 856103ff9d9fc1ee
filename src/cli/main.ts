/**
 * The `nydusify` program: commands, error reporting and exit codes. This is the
 * only module that writes to the terminal or ends the process.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { checkCommand } from './check-command.js';
import { convertCommand } from './convert-command.js';
import { exportCommand } from './export-command.js';
import { inspectCommand } from './inspect-command.js';
import { referrersCommand } from './referrers-command.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { errorLine } from './report.js';

const EXIT_CODE_HELP = `
Exit codes:
  0  success
  1  failure (bad image, I/O, format or internal error)
  2  usage error (unknown flag, bad value, malformed reference)
  3  check found differences between the images`;

/** Builds the program with every command. */
export function program(): Command {
  const root = new Command('nydusify')
    .description('Convert container images into lazily loadable Nydus (RAFS v6) images')
    .version(packageVersion(), '-V, --version', 'print the version')
    .option('--debug', 'print stack traces and error causes', false)
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXIT_CODE_HELP)
    .exitOverride();
  root.addCommand(convertCommand().exitOverride());
  root.addCommand(checkCommand().exitOverride());
  root.addCommand(inspectCommand().exitOverride());
  root.addCommand(exportCommand().exitOverride());
  root.addCommand(referrersCommand().exitOverride());
  return root;
}

/** Runs the program with `argv` and returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  const cli = program();
  try {
    await cli.parseAsync(argv);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed its own message (or the help) already.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const code = exitCodeFor(err);
    // Differences are a result, not a failure: the report is on stdout already,
    // and stderr gets its one-line summary without the "error:" label.
    const line = code === EXIT.mismatch && err instanceof Error ? err.message : errorLine(err);
    process.stderr.write(`${line}\n`);
    if (argv.includes('--debug')) process.stderr.write(`${debugDump(err)}\n`);
    return code;
  }
}

/** The version in package.json, which ships beside dist/. */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function debugDump(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  while (e !== undefined) {
    parts.push(e instanceof Error ? (e.stack ?? e.message) : String(e));
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join('\ncaused by: ');
}
