/**
 * Exit codes of the `nydusify` command, documented in the README and `--help`.
 */
import { NydusifyError } from '../errors.js';

/** EXIT holds every exit status the CLI uses. */
export const EXIT = {
  /** The command did what was asked. */
  ok: 0,
  /** The command failed: bad input image, I/O, format or internal error. */
  failure: 1,
  /** The command line was wrong: unknown flag, bad value, malformed reference. */
  usage: 2,
  /** `check` ran to the end and found that the images differ. */
  mismatch: 3,
} as const;

/** Returns the exit status for an error thrown by a command. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof NydusifyError && err.code === 'ERR_USAGE') return EXIT.usage;
  if (err instanceof NydusifyError && err.code === 'ERR_MISMATCH') return EXIT.mismatch;
  return EXIT.failure;
}
