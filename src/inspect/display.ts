/**
 * Turning inode fields into text a terminal can show safely: `ls`-style mode
 * strings, names and link targets with unprintable bytes escaped, xattr values as
 * text or hex, and times in UTC.
 *
 * Names in the tree are byte strings (one byte per character); a name from a hostile
 * image may hold escape sequences or invalid UTF-8, so nothing is printed raw.
 */
import type { FileType } from '../tree/types.js';

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

/** isPrintableUtf8 says whether bytes are valid UTF-8 without control characters. */
export function isPrintableUtf8(bytes: Buffer): boolean {
  const text = bytes.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(bytes)) return false;
  // C0 controls, DEL and C1 controls could drive a terminal.
  return !/[\u0000-\u001f\u007f-\u009f]/.test(text);
}

/**
 * displayBytes shows a byte string (a name or link target) as text: decoded UTF-8
 * when it is printable, else printable ASCII kept and every other byte as `\xNN`.
 * A backslash is doubled in the escaped form so the result reads back unambiguously.
 */
export function displayBytes(byteString: string): string {
  const bytes = Buffer.from(byteString, 'latin1');
  if (isPrintableUtf8(bytes) && !byteString.includes('\\')) return bytes.toString('utf8');
  let out = '';
  for (const b of bytes) {
    if (b === 0x5c) out += '\\\\';
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return out;
}

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
