import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { encodeBase256, tarHeader } from '../../test/helpers/tar-builder.js';
import { BLOCK_SIZE, decodeHeader, headerChecksums, headerFormat } from './tar-header.js';
import { decodeBase256, decodeNumeric, decodeOctal } from './tar-numeric.js';

/** A header block that is all zero except for these [offset, latin1 text] runs. */
function block(runs: Array<[number, string]>): Buffer {
  const out = Buffer.alloc(BLOCK_SIZE);
  for (const [offset, text] of runs) out.write(text, offset, 'latin1');
  return out;
}

// Both goldens were written by Python 3's tarfile (TarInfo.tobuf), field by field.
const PYTHON_USTAR = block([
  [0, 'a/b.txt'],
  [100, '0000644\0'],
  [108, '0001750\0'],
  [116, '0001750\0'],
  [124, '00000000005\0'],
  [136, '14524770400\0'],
  [148, '007572\0 '],
  [156, '0'],
  [257, 'ustar\x0000'],
  [265, 'u'],
  [297, 'g'],
]);
const PYTHON_GNU_BIG = block([
  [0, 'big'],
  [100, '0000644\0'],
  [108, '\x80\0\0\0\0\x2d\xc6\xc0'],
  [116, '0000000\0'],
  [124, '\x80\0\0\0\0\0\0\x02\x40\0\0\0'],
  [136, '00000000000\0'],
  [148, '006204\0 '],
  [156, '0'],
  [257, 'ustar  \0'],
]);

describe('tar header encode (test builder) against Python tarfile', () => {
  it('writes a ustar header byte for byte', () => {
    const fields = { name: 'a/b.txt', uid: 1000, gid: 1000, size: 5, mtime: 1700000000 };
    expect(tarHeader({ ...fields, uname: 'u', gname: 'g' }).toString('hex')).toBe(
      PYTHON_USTAR.toString('hex'),
    );
  });

  it('writes a GNU header with base-256 uid and size byte for byte', () => {
    const header = tarHeader({ name: 'big', uid: 3_000_000, size: 9 * 1024 ** 3, format: 'gnu' });
    expect(header.toString('hex')).toBe(PYTHON_GNU_BIG.toString('hex'));
  });
});

describe('decodeHeader', () => {
  it('decodes the Python ustar golden', () => {
    expect(decodeHeader(PYTHON_USTAR, 0)).toEqual({
      name: 'a/b.txt',
      mode: 0o644,
      uid: 1000,
      gid: 1000,
      size: 5,
      mtime: 1700000000,
      typeflag: '0',
      linkname: '',
      uname: 'u',
      gname: 'g',
      devMajor: 0,
      devMinor: 0,
      format: 'ustar',
    });
  });

  it('decodes base-256 fields of the Python GNU golden', () => {
    const h = decodeHeader(PYTHON_GNU_BIG, 0);
    expect(h).toMatchObject({ name: 'big', uid: 3_000_000, size: 9 * 1024 ** 3, format: 'gnu' });
  });

  it('decodes the first header of the GNU tar fixture', async () => {
    const url = new URL('../../../shared/fixtures/layers/all-entry-type.tar', import.meta.url);
    const first = (await readFile(url)).subarray(0, BLOCK_SIZE);
    expect(decodeHeader(first, 0)).toMatchObject({
      name: 'tar/',
      mode: 0o755,
      mtime: 1665585322,
      typeflag: '5',
      uname: 'root',
      format: 'gnu',
    });
  });

  it('computes unsigned and signed sums that differ only for high bytes', () => {
    expect(headerChecksums(PYTHON_USTAR)).toEqual({ unsigned: 0o7572, signed: 0o7572 });
    const high = tarHeader({ name: '\xff\xfe' });
    const sums = headerChecksums(high);
    expect(sums.unsigned - sums.signed).toBe(2 * 256);
    expect(() => decodeHeader(tarHeader({ name: '\xff', checksum: 'signed' }), 0)).not.toThrow();
  });

  it('refuses a wrong checksum with the field, offset and values', () => {
    const bad = tarHeader({ name: 'x', checksum: 1 });
    expect(() => decodeHeader(bad, 0x400)).toThrow(
      /^tar header\.chksum at offset 0x494: checksum mismatch: stored 0o1, computed 0o\d+$/,
    );
  });

  it('tells ustar, GNU and v7 headers apart and uses the prefix only for ustar', () => {
    const ustar = tarHeader({ name: 'n', prefix: 'p' });
    expect(headerFormat(ustar)).toBe('ustar');
    expect(decodeHeader(ustar, 0).name).toBe('p/n');
    const gnu = tarHeader({ name: 'n', prefix: 'p', format: 'gnu' });
    expect(decodeHeader(gnu, 0)).toMatchObject({ name: 'n', format: 'gnu' });
    const v7 = tarHeader({ name: 'n', format: 'v7', uname: 'ignored' });
    expect(decodeHeader(v7, 0)).toMatchObject({ name: 'n', format: 'v7', uname: '' });
  });

  it('reads a name that fills all 100 bytes (no NUL)', () => {
    const name = 'n'.repeat(100);
    expect(decodeHeader(tarHeader({ name }), 0).name).toBe(name);
  });
});

describe('numeric fields', () => {
  const octal = (text: string) => decodeOctal(Buffer.from(text, 'latin1'), 'f', 0);

  it.each([
    ['0000644\0', 0o644],
    ['   644 \0', 0o644],
    ['\0\0\0\0\0\0\0\0', 0],
    ['77777777777\0', 8 ** 11 - 1],
    ['0000644 ', 0o644],
  ])('octal %j is %d', (text, value) => {
    expect(octal(text)).toBe(value);
  });

  it('refuses bad octal digits and junk after the digits', () => {
    expect(() => octal('00008\0')).toThrow('f at offset 0x4: bad octal digit 0x38');
    expect(() => octal('0644 x\0')).toThrow('f at offset 0x5: junk 0x78 after octal digits');
  });

  it.each([3_000_000, 9 * 1024 ** 3, 0, -1, -86400, 2 ** 53 - 1])(
    'base-256 round-trips %d',
    (value) => {
      const field = encodeBase256(value, 12);
      expect(field[0] & 0x80).toBe(0x80);
      expect(decodeBase256(field, 'f', 0)).toBe(value);
      expect(decodeNumeric(field, 'f', 0)).toBe(value);
    },
  );

  it('pins base-256 bytes of uid 3,000,000 (GNU tar / Go layout)', () => {
    expect(encodeBase256(3_000_000, 8).toString('hex')).toBe('80000000002dc6c0');
    expect(encodeBase256(-1, 8).toString('hex')).toBe('ffffffffffffffff');
  });

  it('refuses base-256 values beyond 2^53', () => {
    const field = Buffer.from('80ffffffffffffffffffffff', 'hex');
    expect(() => decodeNumeric(field, 'size', 124)).toThrow(/size at offset 0x7c: base-256 value/);
  });
});
