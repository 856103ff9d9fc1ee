/**
 * Turning inode fields into text a terminal can show safely: `ls`-style mode
 * strings, names and link targets with unprintable bytes escaped, xattr values as
 * text or hex, and times in UTC.
 *
 * Names in the tree are byte strings (one byte per character); a name from a hostile
 * image may hold escape sequences or invalid UTF-8, so nothing is printed raw.
 */
import type { FileType } from '../tree/types.js';
import { isPrintableUtf8 } from '../text.js';

/** TYPE_LETTER is the first character of an `ls -l` mode string, per file type. */
export const TYPE_LETTER: Record<FileType, string> = {
  file: '-',
  dir: 'd',
  symlink: 'l',
  char: 'c',
  block: 'b',
  fifo: 'p',
  socket: 's',
};

const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
const S_ISVTX = 0o1000;

/** modeString renders type and permission bits as `ls -l` does, e.g. `drwxr-xr-x`. */
export function modeString(type: FileType, perm: number): string {
  const triad = (bits: number, special: boolean, on: string, off: string): string => {
    const r = bits & 4 ? 'r' : '-';
    const w = bits & 2 ? 'w' : '-';
    const x = bits & 1;
    return r + w + (special ? (x ? on : off) : x ? 'x' : '-');
  };
  return (
    TYPE_LETTER[type] +
    triad(perm >> 6, (perm & S_ISUID) !== 0, 's', 'S') +
    triad(perm >> 3, (perm & S_ISGID) !== 0, 's', 'S') +
    triad(perm, (perm & S_ISVTX) !== 0, 't', 'T')
  );
}

/** octalPerm renders permission bits as four octal digits, e.g. `0755`. */
export function octalPerm(perm: number): string {
  return perm.toString(8).padStart(4, '0');
}

export { displayBytes, isPrintableUtf8 } from '../text.js';

/** displayValue shows an xattr value: quoted text when printable, else `0x` and hex. */
export function displayValue(value: Buffer): string {
  return isPrintableUtf8(value) ? JSON.stringify(value.toString('utf8')) : `0x${value.toString('hex')}`;
}

/** formatTime renders seconds since the epoch as `YYYY-MM-DD HH:MM:SS` in UTC. */
export function formatTime(seconds: number): string {
  const date = new Date(seconds * 1000);
  if (Number.isNaN(date.getTime())) return String(seconds);
  return date.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '');
}

/** bitNames lists the names of the bits set in `word`, then any unnamed bits in hex. */
export function bitNames(word: number, names: Readonly<Record<string, number>>): string[] {
  const out: string[] = [];
  let rest = word >>> 0;
  for (const [name, bit] of Object.entries(names)) {
    if ((word & bit) >>> 0 === bit) {
      out.push(name);
      rest = (rest & ~bit) >>> 0;
    }
  }
  if (rest !== 0) out.push(`0x${rest.toString(16)}`);
  return out;
}
