import { describe, expect, it } from 'vitest';
import { FormatError } from '../errors.js';
import { decodeTarHeader, encodeTarHeader, TAR_HEADER_SIZE } from './tar-header.js';
import { FIXTURE_BLOB, FIXTURE_INLINE, fixtureBytes, sparseHex } from './test-fixtures.js';

/** The fixture blob's `image.blob` header, at 0x1e7a, spelled out byte by byte. */
const IMAGE_BLOB_HEADER = sparseHex(512, {
  0: '696d6167652e626c6f62', // "image.blob"
  124: '303030303030313731373200', // size "00000017172\0" = 7802
  136: '303030303030303030303000', // mtime "00000000000\0"
  148: '3030303536343100', // checksum "0005641\0"
  156: '30', // typeflag '0'
  257: '7573746172202000', // "ustar " + " \0"
});

describe('tar header', () => {
  it('is 512 bytes and matches the fixture image.blob header byte for byte', () => {
    const fromFile = fixtureBytes(FIXTURE_BLOB, 0x1e7a, 512);
    expect(fromFile.toString('hex')).toBe(IMAGE_BLOB_HEADER.toString('hex'));
    const encoded = encodeTarHeader({ name: 'image.blob', size: 7802 });
    expect(encoded.length).toBe(TAR_HEADER_SIZE);
    expect(encoded.toString('hex')).toBe(IMAGE_BLOB_HEADER.toString('hex'));
    expect(decodeTarHeader(encoded)).toEqual({ name: 'image.blob', size: 7802 });
  });

  it.each([
    [FIXTURE_BLOB, 0x309a, 'blob.meta', 4128],
    [FIXTURE_BLOB, 0x32da, 'blob.digest', 64],
    [FIXTURE_BLOB, 0x36da, 'rafs.blob.toc', 512],
    [FIXTURE_INLINE, 0x2132, 'image.boot', 501],
    [FIXTURE_INLINE, 0x2532, 'rafs.blob.toc', 512],
  ])('re-encodes the fixture header at 0x%s… %s identically', (path, off, name, size) => {
    const fromFile = fixtureBytes(path, off, 512);
    expect(decodeTarHeader(fromFile, off)).toEqual({ name, size });
    expect(encodeTarHeader({ name, size }).equals(fromFile)).toBe(true);
  });

  it('rejects a bad checksum, naming the field and offset', () => {
    const bad = Buffer.from(IMAGE_BLOB_HEADER);
    bad[0] ^= 1;
    expect(() => decodeTarHeader(bad, 0x1000)).toThrowError(FormatError);
    expect(() => decodeTarHeader(bad, 0x1000)).toThrowError(
      'tar_header.checksum at offset 0x1094: stored 0o5641, computed 0o5640',
    );
  });

  it('rejects bytes without the ustar magic', () => {
    expect(() => decodeTarHeader(Buffer.alloc(512))).toThrowError(/tar_header\.magic/);
  });

  it('uses base-256 for sizes from 8 GiB and reads them back', () => {
    const size = 10 * 2 ** 30 + 5;
    const h = encodeTarHeader({ name: 'image.blob', size });
    expect(h.subarray(124, 136).toString('hex')).toBe('800000000000000280000005');
    expect(decodeTarHeader(h).size).toBe(size);
    const largestOctal = encodeTarHeader({ name: 'x', size: 0o77777777777 });
    expect(largestOctal.toString('latin1', 124, 136)).toBe('77777777777\0');
  });

  it('rejects names that do not fit', () => {
    expect(() => encodeTarHeader({ name: 'n'.repeat(101), size: 0 })).toThrowError(/name/);
  });
});
