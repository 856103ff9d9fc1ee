import { describe, expect, test } from 'vitest';
import { FormatError } from '../errors.js';
import type { RafsV6Blob } from './blob-entry.js';
import { BLOB_ENTRY_SIZE, blobEntryFromInfo, blobInfoFromEntry, decodeBlobEntry, encodeBlobEntry, validateBlobEntry } from './blob-entry.js';
import { FIXTURE_BLOB_ID, fixtureBlob, fixtureBoot } from './test-support.js';

const GOLDEN =
  Buffer.from(FIXTURE_BLOB_ID, 'latin1').toString('hex') +
  '00000000' + '00001000' + '02000000' + '03000000' + '00000000' + '21000070' +
  'da38000000000000' + '0090000000000000' + '00040000' + '00000000' + '7a20000000000000' +
  '2000000000000000' + '2000000000000000' + 'cfc89ed0739aef4eb1bf0904f0dfdb1c857134eca7319465baae95a99b84acde' +
  '00'.repeat(32) + '0000000000000000' + '00'.repeat(8) + '00000000' + '00'.repeat(36);

function failure(e: RafsV6Blob): FormatError {
  try {
    validateBlobEntry(e, 0, 0x100000, 0x1000);
  } catch (err) {
    return err as FormatError;
  }
  throw new Error('expected a FormatError');
}

describe('RafsV6Blob', () => {
  test('the fixture BlobInfo encodes to the golden bytes the fixture holds', () => {
    const bytes = encodeBlobEntry(blobEntryFromInfo(fixtureBlob(), 0));
    expect(bytes.length).toBe(BLOB_ENTRY_SIZE);
    expect(bytes.toString('hex')).toBe(GOLDEN);
    expect(fixtureBoot().subarray(0x1000, 0x1100).toString('hex')).toBe(GOLDEN);
  });

  test('decodes the fixture entry and maps it back to the BlobInfo', () => {
    const e = decodeBlobEntry(fixtureBoot(), 0x1000);
    expect(e.blobId).toBe(FIXTURE_BLOB_ID);
    expect([e.chunkSize, e.chunkCount, e.compressionAlgo, e.digestAlgo, e.features]).toEqual([0x100000, 2, 3, 0, 0x70000021]);
    expect([e.compressedSize, e.uncompressedSize, e.blobTocSize, e.ciOffset]).toEqual([0x38da, 0x9000, 0x400, 0x207a]);
    validateBlobEntry(e, 0, 0x100000, 0x1000);
    expect(blobInfoFromEntry(e, 0x1000)).toEqual(fixtureBlob());
  });

  test('validation names the field, offset and value', () => {
    const good = blobEntryFromInfo(fixtureBlob(), 0);
    expect(failure({ ...good, blobIndex: 3 }).message).toMatch(/blob_entry.blob_index at offset 0x1040: 0x3/);
    expect(failure({ ...good, chunkSize: 0x1000 }).field).toBe('chunk_size');
    expect(failure({ ...good, features: 0x70000020 }).message).toMatch(/ALIGNED .* 0x70000020/);
    expect(failure({ ...good, features: 0x80000001 }).field).toBe('features');
    expect(failure({ ...good, features: 0x1081 }).message).toMatch(/invalid bits/);
    expect(failure({ ...good, features: 0x81 }).message).toMatch(/CHUNK_INFO_V2/);
    expect(failure({ ...good, ciUncompressedSize: 0x30 }).field).toBe('ci_uncompressed_size');
    expect(failure({ ...good, ciCompressedSize: 0x40 }).field).toBe('ci_compressed_size');
    expect(failure({ ...good, compressionAlgo: 9 }).field).toBe('compression_algo');
  });

  test('gzip blobs have no Compressor name and fail as unsupported', () => {
    const e = { ...blobEntryFromInfo(fixtureBlob(), 0), compressionAlgo: 2 };
    expect(() => blobInfoFromEntry(e, 0x1000)).toThrow(/compression_algo at offset 0x104c: unsupported 0x2/);
  });
});
