import { describe, expect, it } from 'vitest';
import { BLOB_FEATURES } from '../rafs/blob-entry.js';
import { RAFS_FLAGS } from '../rafs/flags.js';
import { bitNames, displayBytes, displayValue, formatTime, modeString, octalPerm } from './display.js';

describe('modeString', () => {
  it.each([
    ['dir', 0o755, 'drwxr-xr-x'],
    ['file', 0o644, '-rw-r--r--'],
    ['file', 0o4755, '-rwsr-xr-x'],
    ['file', 0o4644, '-rwSr--r--'],
    ['file', 0o2755, '-rwxr-sr-x'],
    ['file', 0o2745, '-rwxr-Sr-x'],
    ['dir', 0o1777, 'drwxrwxrwt'],
    ['dir', 0o1776, 'drwxrwxrwT'],
    ['symlink', 0o777, 'lrwxrwxrwx'],
    ['char', 0o666, 'crw-rw-rw-'],
    ['block', 0o660, 'brw-rw----'],
    ['fifo', 0o600, 'prw-------'],
    ['socket', 0o755, 'srwxr-xr-x'],
  ] as const)('%s %o is %s', (type, perm, want) => {
    expect(modeString(type, perm)).toBe(want);
  });

  it('octalPerm pads to four digits', () => {
    expect(octalPerm(0o755)).toBe('0755');
    expect(octalPerm(0o4755)).toBe('4755');
    expect(octalPerm(0)).toBe('0000');
  });
});

describe('displayBytes', () => {
  it('keeps printable UTF-8 as text', () => {
    expect(displayBytes(Buffer.from('/etc/résumé.txt', 'utf8').toString('latin1'))).toBe('/etc/résumé.txt');
  });

  it('escapes control characters, invalid UTF-8 and backslashes', () => {
    expect(displayBytes('a\x1b[31mb')).toBe('a\\x1b[31mb');
    expect(displayBytes('bad\xff\xfename')).toBe('bad\\xff\\xfename');
    expect(displayBytes('back\\slash\n')).toBe('back\\\\slash\\x0a');
  });
});

describe('displayValue', () => {
  it('quotes printable text and shows binary as hex', () => {
    expect(displayValue(Buffer.from('user value'))).toBe('"user value"');
    expect(displayValue(Buffer.from([0x01, 0x00, 0x00, 0x02]))).toBe('0x01000002');
    expect(displayValue(Buffer.from('line\n'))).toBe('0x6c696e650a');
  });
});

describe('formatTime', () => {
  it('renders UTC seconds', () => {
    expect(formatTime(0)).toBe('1970-01-01 00:00:00');
    expect(formatTime(1676819553)).toBe('2023-02-19 15:12:33');
  });
});

describe('bitNames', () => {
  it('names RAFS flags of the 2.2 fixture and a current image', () => {
    expect(bitNames(0x194, RAFS_FLAGS)).toEqual(['HASH_BLAKE3', 'EXPLICIT_UID_GID', 'COMPRESSION_ZSTD', 'INLINED_CHUNK_DIGEST']);
    expect(bitNames(0x01000194, RAFS_FLAGS)).toContain('ENCRYPTION_NONE');
  });

  it('names blob features, including the high bits, and shows unknown bits in hex', () => {
    expect(bitNames(0x70000021, BLOB_FEATURES)).toEqual(['ALIGNED', 'INLINED_CHUNK_DIGEST', 'HAS_TAR_HEADER', 'HAS_TOC', 'CAP_TAR_TOC']);
    expect(bitNames(0x1 | 0x8000, BLOB_FEATURES)).toEqual(['ALIGNED', '0x8000']);
  });
});
