import { readFile } from 'node:fs/promises';
import { blake3 } from '@napi-rs/blake-hash';
import { describe, expect, it } from 'vitest';
import { DigestMismatchError } from '../errors.js';
import { sha256 } from './digest.js';
import { openBlobFile } from './reader.js';
import { FIXTURE_BLOB, FIXTURE_BLOB_ID, FIXTURE_INLINE, FIXTURE_INLINE_ID } from './test-fixtures.js';

describe('native blob fixture be7d77ee…', () => {
  it('decodes ToC, sections, meta header, CI array and digest array', async () => {
    const blob = await openBlobFile(FIXTURE_BLOB);
    try {
      expect(blob.size).toBe(14554);
      expect(blob.sections.map((s) => [s.name, s.dataOffset, s.size])).toEqual([
        ['image.blob', 0, 0x1e7a],
        ['blob.meta', 0x207a, 4128],
        ['blob.digest', 0x329a, 64],
        ['rafs.blob.toc', 0x34da, 512],
      ]);
      expect(blob.toc!.entries.map((e) => e.name)).toEqual(['image.blob', 'blob.meta', 'blob.meta.header', 'blob.digest']);
      expect(blob.toc!.size).toBe(0x400);
      expect(blob.toc!.digest.toString('hex')).toBe(
        'cfc89ed0739aef4eb1bf0904f0dfdb1c857134eca7319465baae95a99b84acde',
      );
      expect(blob.metaHeaderOffset).toBe(0x209a);
      expect(blob.metaHeader).toMatchObject({ features: 0x70000021, ciCompressor: 'none', ciEntries: 2, ciOffset: 0x207a });
      expect(blob.ciEntries).toEqual([
        { compressedOffset: 0, compressedSize: 0x12dc, uncompressedOffset: 0, uncompressedSize: 0x4223, compressed: true },
        { compressedOffset: 0x12dc, compressedSize: 0xb9e, uncompressedOffset: 0x5000, uncompressedSize: 0x3458, compressed: true },
      ]);
      expect(blob.chunkDigests!.map((d) => d.toString('hex').slice(0, 8))).toHaveLength(2);
      expect(blob.bootstrap).toBeNull();
    } finally {
      await blob.close();
    }
  });

  it('reads both zstd chunks; blake3 of each equals its digest', async () => {
    const blob = await openBlobFile(FIXTURE_BLOB);
    try {
      for (let i = 0; i < 2; i++) {
        const data = await blob.readChunkByIndex(i, 'blake3', 'zstd');
        expect(data.length).toBe(blob.ciEntries![i].uncompressedSize);
        expect(blake3(data).equals(blob.chunkDigests![i])).toBe(true);
      }
      // lib.rs (16931 bytes) is chunk 0; it is Rust source text.
      const lib = await blob.readChunkByIndex(0, 'blake3');
      expect(lib.toString('utf8')).toMatch(/^\/\/ Copyright/);
    } finally {
      await blob.close();
    }
  });

  it('reports a wrong digest as DigestMismatchError naming the chunk', async () => {
    const blob = await openBlobFile(FIXTURE_BLOB);
    try {
      const ci = blob.ciEntries![1];
      const ref = { ...ci, chunkIndex: 1, digest: blob.chunkDigests![0] };
      await expect(blob.readChunk(ref, 'blake3')).rejects.toThrowError(DigestMismatchError);
      await expect(blob.readChunk(ref, 'blake3')).rejects.toThrowError(/chunk 1 at 0x12dc: digest mismatch/);
      await expect(blob.readChunk({ ...ref, compressedSize: 0x2000 }, 'blake3')).rejects.toThrowError(
        /chunk\.compressed_size at offset 0x12dc: .* outside the chunk data ending at 0x1e7a/,
      );
    } finally {
      await blob.close();
    }
  });

  it('follows the ToC digest rules and the blob-id rule', async () => {
    const file = await readFile(FIXTURE_BLOB);
    expect(sha256(file.subarray(-1024)).toString('hex').slice(0, 8)).toBe('cfc89ed0');
    // image.blob entry digest: sha256 over the chunk data plus its tar header.
    const blob = await openBlobFile(FIXTURE_BLOB);
    try {
      expect(sha256(file.subarray(0, 0x1e7a + 512)).equals(blob.tocEntry('image.blob')!.digest)).toBe(true);
    } finally {
      await blob.close();
    }
    // Blob id: sha256 of the whole file minus the 64-byte digest array.
    const withoutDigests = sha256(file.subarray(0, 0x329a), file.subarray(0x32da));
    expect(withoutDigests.toString('hex')).toBe(FIXTURE_BLOB_ID);
    expect(sha256(file).toString('hex')).not.toBe(FIXTURE_BLOB_ID);
  });
});

describe('inline blob fixture 2fa78cad…', () => {
  it('finds image.boot through the ToC and decompresses a RAFS v6 bootstrap', async () => {
    const blob = await openBlobFile(FIXTURE_INLINE);
    try {
      expect(blob.toc!.entries.map((e) => [e.name, e.compressor])).toEqual([
        ['image.blob', 'none'],
        ['blob.meta', 'none'],
        ['blob.meta.header', 'none'],
        ['image.boot', 'zstd'],
      ]);
      expect(blob.bootstrap!.length).toBe(20480);
      expect(blob.bootstrap!.readUInt32LE(1024)).toBe(0xe0f5e1e2);
      expect(blob.chunkDigests).toBeNull();
      expect(blob.ciEntries).toHaveLength(3);
    } finally {
      await blob.close();
    }
    // Without a digest array, the blob id is the sha256 of the whole file.
    expect(sha256(await readFile(FIXTURE_INLINE)).toString('hex')).toBe(FIXTURE_INLINE_ID);
  });
});
