import { describe, expect, test } from 'vitest';
import { FormatError } from '../errors.js';
import type { RafsExtSuperblock } from './ext-superblock.js';
import { EXT_SUPER_SIZE, decodeExtSuperblock, encodeExtSuperblock, validateExtSuperblock } from './ext-superblock.js';
import { RAFS_FLAGS, compressorOfFlags, digesterOfFlags } from './flags.js';
import { fixtureBoot } from './test-support.js';

const FIXTURE_EXT: RafsExtSuperblock = {
  flags: 0x194, blobTableOffset: 0x1000, blobTableSize: 0x100, chunkSize: 0x100000,
  chunkTableOffset: 0x4000, chunkTableSize: 0xa0, prefetchTableOffset: 0, prefetchTableSize: 0,
};
const GOLDEN =
  '9401000000000000' + '0010000000000000' + '00010000' + '00001000' + '0040000000000000' + 'a000000000000000' +
  '0000000000000000' + '00000000' + '00000000' + '00'.repeat(200);

function failure(ext: RafsExtSuperblock, size = 20480): FormatError {
  try {
    validateExtSuperblock(ext, size);
  } catch (e) {
    return e as FormatError;
  }
  throw new Error('expected a FormatError');
}

describe('RAFS v6 extended superblock', () => {
  test('encodes to the golden bytes, which the fixture holds', () => {
    const bytes = encodeExtSuperblock(FIXTURE_EXT);
    expect(bytes.length).toBe(EXT_SUPER_SIZE);
    expect(bytes.toString('hex')).toBe(GOLDEN);
    expect(fixtureBoot().subarray(1152, 1408).toString('hex')).toBe(GOLDEN);
  });

  test('decodes and validates the fixture', () => {
    const ext = decodeExtSuperblock(fixtureBoot());
    expect(ext).toEqual(FIXTURE_EXT);
    validateExtSuperblock(ext, 20480);
    expect(compressorOfFlags(ext.flags)).toBe('zstd');
    expect(digesterOfFlags(ext.flags)).toBe('blake3');
  });

  test('flags: current nydusify value is accepted, bad combinations are not', () => {
    expect(() => validateExtSuperblock({ ...FIXTURE_EXT, flags: 0x01000194 }, 20480)).not.toThrow();
    expect(failure({ ...FIXTURE_EXT, flags: 0x194 | RAFS_FLAGS.COMPRESSION_LZ4 }).message).toMatch(/s_flags at offset 0x480: need exactly one compression bit, got 0x196/);
    expect(failure({ ...FIXTURE_EXT, flags: 0x190 }).message).toMatch(/one hash bit, got 0x190/);
    expect(failure({ ...FIXTURE_EXT, flags: 0x194 | 0x400 }).message).toMatch(/unknown bits in 0x594/);
  });

  test('table checks name the field and the value', () => {
    expect(failure({ ...FIXTURE_EXT, chunkSize: 0x3000 }).field).toBe('s_chunk_size');
    expect(failure({ ...FIXTURE_EXT, blobTableOffset: 0x1100 }).message).toMatch(/0x1100/);
    expect(failure({ ...FIXTURE_EXT, blobTableSize: 0x80 }).field).toBe('s_blob_table_size');
    expect(failure({ ...FIXTURE_EXT, chunkTableOffset: 0x5000 }).message).toMatch(/past the end/);
    expect(failure({ ...FIXTURE_EXT, chunkTableSize: 0xa1 }).field).toBe('s_chunk_table_size');
    expect(failure({ ...FIXTURE_EXT, chunkTableOffset: 0x1000 }).message).toMatch(/overlaps/);
    expect(failure({ ...FIXTURE_EXT, prefetchTableOffset: 0x1004, prefetchTableSize: 4 }).field).toBe('s_prefetch_table_offset');
  });
});
