/**
 * Checks a command makes before any work, so that a bad flag fails in a second
 * with a usage error instead of after a long conversion or check.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { UsageError } from '../errors.js';

/** Fails up front, before any work, when `dir` is not a folder this process can write. */
export async function checkWritableFolder(flag: string, dir: string): Promise<void> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a folder');
    await access(dir, constants.W_OK);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : (err as Error).message === 'not a folder' ? 'is not a folder' : 'is not writable';
    throw new UsageError(`${flag}: ${dir} ${why}`);
  }
}
